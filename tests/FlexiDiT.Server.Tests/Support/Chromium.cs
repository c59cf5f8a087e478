using System.Diagnostics;

namespace FlexiDiT.Server.Tests.Support;

/// <summary>Runs Debian's headless Chromium against the server: a DOM dump or a screenshot.</summary>
internal static class Chromium
{
    public const string DefaultPath = "/usr/bin/chromium";

    /// <summary>Finds Chromium or fails the test saying how to get it (CI installs it through .ci/run).</summary>
    public static string Require()
    {
        var path = Environment.GetEnvironmentVariable("FLEXIDIT_CHROMIUM") is { Length: > 0 } custom ? custom : DefaultPath;
        Assert.True(
            File.Exists(path),
            $"Headless Chromium is required for the page test but {path} does not exist. Install Debian's package " +
            "('apt-get install chromium'; .ci/run does this) or point FLEXIDIT_CHROMIUM at a Chromium binary.");
        return path;
    }

    /// <summary>Loads a URL, lets its scripts run for up to <paramref name="virtualTimeMs"/> ms of page time, and returns the DOM.</summary>
    public static Task<string> DumpDomAsync(string url, int virtualTimeMs = 20_000) =>
        RunAsync(["--dump-dom", $"--virtual-time-budget={virtualTimeMs}", url]);

    /// <summary>Takes a screenshot of a URL at the given window size.</summary>
    public static async Task ScreenshotAsync(string url, string file, int width, int height, int virtualTimeMs = 20_000) =>
        await RunAsync([$"--screenshot={file}", $"--window-size={width},{height}", "--hide-scrollbars", $"--virtual-time-budget={virtualTimeMs}", url]);

    private static async Task<string> RunAsync(IEnumerable<string> arguments)
    {
        var profile = Directory.CreateTempSubdirectory("flexidit-chromium").FullName;
        var start = new ProcessStartInfo(Require())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[]
        {
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage", $"--user-data-dir={profile}",
        }.Concat(arguments))
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("chromium did not start");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail("chromium did not finish within 90 s: " + await stderr);
        }
        finally
        {
            try
            {
                Directory.Delete(profile, recursive: true);
            }
            catch (IOException)
            {
                // Chromium's helpers may still hold the profile for a moment; the OS cleans the temp folder.
            }
        }

        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}: {await stderr}");
        return await stdout;
    }
}
