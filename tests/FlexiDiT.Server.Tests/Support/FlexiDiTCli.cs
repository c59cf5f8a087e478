using System.Diagnostics;

namespace FlexiDiT.Server.Tests.Support;

/// <summary>Runs the built <c>flexidit</c> CLI (same configuration as the tests) as a separate process.</summary>
internal static class FlexiDiTCli
{
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Locate());
        foreach (var a in arguments)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    /// <summary>The repository's policies folder.</summary>
    public static string PoliciesFolder => Path.Combine(RepositoryRoot, "policies");

    /// <summary>The repository checkout the tests were built in.</summary>
    public static string RepositoryRoot
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "FlexiDiT.AI.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"no FlexiDiT.AI.sln above {AppContext.BaseDirectory}");
        }
    }

    private static string Locate()
    {
        // tests/FlexiDiT.Server.Tests/bin/<Configuration>/<tfm>/ → src/FlexiDiT.Cli/bin/<Configuration>/<tfm>/flexidit.dll
        var tfm = new DirectoryInfo(AppContext.BaseDirectory);
        var configuration = tfm.Parent!.Name;
        var path = Path.Combine(RepositoryRoot, "src", "FlexiDiT.Cli", "bin", configuration, tfm.Name, "flexidit.dll");
        Assert.True(File.Exists(path), $"the CLI was not built at {path}");
        return path;
    }
}
