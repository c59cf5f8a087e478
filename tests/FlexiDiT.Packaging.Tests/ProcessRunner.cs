using System.Diagnostics;
using System.Text;

namespace FlexiDiT.Packaging.Tests;

/// <summary>Runs a program to completion, capturing its output, with a time limit.</summary>
internal static class ProcessRunner
{
    /// <summary>Runs <paramref name="fileName"/> and returns its exit code and combined output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(
        string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test run's own MSBuild settings (set for its build's tasks) must not steer a child build.
        foreach (var name in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(output, e.Data);
        process.ErrorDataReceived += (_, e) => Append(output, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{fileName} {string.Join(' ', start.ArgumentList)} did not finish in {timeout}:\n{output}");
        }

        // WaitForExitAsync returns after the output streams reach their end, so the text is complete here.
        return (process.ExitCode, output.ToString());
    }

    /// <summary>Runs a program and fails the test, showing its output, unless it exits with 0.</summary>
    public static async Task<string> RunCheckedAsync(
        string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string> environment, TimeSpan timeout)
    {
        var list = arguments.ToList();
        var (exitCode, output) = await RunAsync(fileName, list, workingDirectory, environment, timeout);
        Assert.True(exitCode == 0, $"{fileName} {string.Join(' ', list)} exited with {exitCode}:\n{output}");
        return output;
    }

    private static void Append(StringBuilder output, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (output)
        {
            output.AppendLine(line);
        }
    }
}
