using System.Diagnostics;

namespace FlexiDiT.Tests.Cli;

/// <summary>Runs the real <c>flexidit</c> program (copied next to the tests) as a child process.</summary>
internal static class FlexiditProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    public static Result Run(string workingDirectory, params string[] args) => Run(workingDirectory, new Dictionary<string, string>(), args);

    /// <summary>Runs the program with <paramref name="environment"/> added to this process's variables.</summary>
    public static Result Run(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        using var process = Start(workingDirectory, args, out var stdout, out var stderr, environment);
        WaitForExit(process, TimeSpan.FromMinutes(3), $"flexidit {string.Join(' ', args)} did not finish in 3 minutes");
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    /// <summary>Starts the program, waits until <paramref name="ready"/> holds, then stops it with SIGTERM (as a service manager would).</summary>
    public static Result RunAndTerminate(string workingDirectory, Func<bool> ready, params string[] args)
    {
        using var process = Start(workingDirectory, args, out var stdout, out var stderr);
        var waited = Stopwatch.StartNew();
        while (!ready())
        {
            if (process.HasExited || waited.Elapsed > TimeSpan.FromMinutes(2))
            {
                WaitForExit(process, TimeSpan.Zero, "");
                throw new TimeoutException($"flexidit {string.Join(' ', args)} never got ready: {stderr.Result}");
            }
            Thread.Sleep(100);
        }
        using (var kill = Process.Start("kill", ["-TERM", process.Id.ToString()])) kill.WaitForExit();
        WaitForExit(process, TimeSpan.FromMinutes(2), $"flexidit {string.Join(' ', args)} did not stop within 2 minutes of SIGTERM");
        return new Result(process.ExitCode, stdout.Result, stderr.Result);
    }

    private static Process Start(string workingDirectory, string[] args, out Task<string> stdout, out Task<string> stderr, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "flexidit.dll"));
        foreach (string a in args) start.ArgumentList.Add(a);
        var process = Process.Start(start)!;
        stdout = process.StandardOutput.ReadToEndAsync();
        stderr = process.StandardError.ReadToEndAsync();
        return process;
    }

    private static void WaitForExit(Process process, TimeSpan timeout, string timeoutMessage)
    {
        if (process.WaitForExit(timeout)) return;
        process.Kill(entireProcessTree: true);
        if (timeoutMessage.Length > 0) throw new TimeoutException(timeoutMessage);
    }
}
