using System.Reflection;
using System.Runtime.InteropServices;

namespace FlexiDiT.Packaging.Tests;

/// <summary>
/// The product packed once for the tests of a class: every package of src/ and plugins/ at a version used nowhere else,
/// in a feed in a temporary folder. The unique version means no package can come from an earlier run's NuGet cache;
/// disposing removes the folder and that version from the NuGet cache.
/// </summary>
public sealed class PackedFeed : IAsyncLifetime
{
    private static readonly TimeSpan PackTimeout = TimeSpan.FromMinutes(10);

    /// <summary>Gets the temporary folder everything of this run lives in (outside the repository).</summary>
    public string Root { get; } = Path.Combine(Path.GetTempPath(), "flexidit-packaging-" + Guid.NewGuid().ToString("N")[..12]);

    /// <summary>Gets the feed folder.</summary>
    public string Feed => Path.Combine(Root, "feed");

    /// <summary>Gets the per-user data folder (XDG_DATA_HOME) the apps run with, so the user's own ledger is untouched.</summary>
    public string UserData => Path.Combine(Root, "user-data");

    /// <summary>Gets the version every package was packed at.</summary>
    public string Version { get; } = $"1.0.0-packagingtest.{DateTime.UtcNow:yyyyMMddHHmmss}.{Environment.ProcessId}";

    /// <summary>Gets the runtime the tool was packed for: this machine's.</summary>
    public string ToolRuntime { get; } = RuntimeInformation.RuntimeIdentifier;

    /// <summary>Gets the repository this test was built from.</summary>
    public static string RepositoryRoot => Metadata("FlexiDiTRoot");

    /// <summary>Gets the configuration this test was built in; the packages are packed from the same build.</summary>
    public static string Configuration => Metadata("Configuration");

    /// <summary>Gets the <c>dotnet</c> executable running the tests.</summary>
    public static string Dotnet { get; } = FindDotnet();

    /// <summary>
    /// Gets the environment of every child process: no MSBuild state inherited from the test run, no MSBuild nodes left
    /// running, and the temporary per-user data folder.
    /// </summary>
    public IReadOnlyDictionary<string, string> ChildEnvironment => new Dictionary<string, string>
    {
        ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        ["DOTNET_NOLOGO"] = "1",
        ["MSBUILDDISABLENODEREUSE"] = "1",
        ["XDG_DATA_HOME"] = UserData,
        ["DOTNET_ROOT"] = Path.GetDirectoryName(Dotnet)!,
    };

    /// <summary>Gets the packages in the feed, by file name.</summary>
    public IReadOnlyList<string> Packages => Directory.GetFiles(Feed, "*.nupkg").Order(StringComparer.Ordinal).ToList();

    /// <summary>Gets the NuGet cache (global packages folder) the app restores into.</summary>
    public string GlobalPackages { get; private set; } = "";

    /// <inheritdoc />
    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(Feed);
        Directory.CreateDirectory(UserData);
        var locals = await ProcessRunner.RunCheckedAsync(
            Dotnet, ["nuget", "locals", "global-packages", "--list"], Path.GetTempPath(), ChildEnvironment, TimeSpan.FromMinutes(1));
        GlobalPackages = locals.Split(':', 2)[1].Trim();
        await ProcessRunner.RunCheckedAsync(
            Dotnet,
            [
                "msbuild", Path.Combine(RepositoryRoot, "tests", "FlexiDiT.Packaging.Tests", "PackAll.proj"), "-t:Pack", "-nologo", "-nodeReuse:false", "-v:m",
                $"-p:FlexiDiTRoot={RepositoryRoot}", $"-p:Configuration={Configuration}", $"-p:PackageVersion={Version}",
                $"-p:PackageOutputPath={Feed}{Path.DirectorySeparatorChar}", $"-p:ToolPackageRuntimeIdentifiers={ToolRuntime}",
            ],
            RepositoryRoot,
            ChildEnvironment,
            PackTimeout);
    }

    /// <inheritdoc />
    public Task DisposeAsync()
    {
        var ids = Directory.Exists(Feed) ? Packages.Select(p => PackageFile.IdOf(p, Version)).ToList() : [];
        foreach (var id in ids.Where(_ => GlobalPackages.Length > 0))
        {
            var folder = Path.Combine(GlobalPackages, id.ToLowerInvariant());
            TryDelete(Path.Combine(folder, Version.ToLowerInvariant()));
            if (Directory.Exists(folder) && !Directory.EnumerateFileSystemEntries(folder).Any())
            {
                Directory.Delete(folder);
            }
        }

        TryDelete(Root);
        return Task.CompletedTask;
    }

    private static void TryDelete(string folder)
    {
        if (Directory.Exists(folder))
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static string FindDotnet()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host))
        {
            return host;
        }

        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        return (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, name))
            .FirstOrDefault(File.Exists) ?? throw new InvalidOperationException("dotnet was not found on PATH");
    }

    private static string Metadata(string key) =>
        typeof(PackedFeed).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == key).Value!;
}
