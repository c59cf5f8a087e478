using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace FlexiDiT.Server.Tests.Support;

/// <summary>
/// The built server (<c>samples/FlexiDiT.Server</c>) as a separate process on a free loopback port, configured only
/// through environment variables, as a replica behind a load balancer would be.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(90);
    private readonly Process process;
    private readonly StringBuilder output = new();

    private ServerProcess(Process process, Uri baseAddress)
    {
        this.process = process;
        BaseAddress = baseAddress;
        this.process.OutputDataReceived += (_, e) => Append(e.Data);
        this.process.ErrorDataReceived += (_, e) => Append(e.Data);
        this.process.BeginOutputReadLine();
        this.process.BeginErrorReadLine();
    }

    public Uri BaseAddress { get; }

    /// <summary>Gets what the process printed so far (its log).</summary>
    public string Output
    {
        get
        {
            lock (output)
            {
                return output.ToString();
            }
        }
    }

    /// <summary>Starts a server and waits until <c>/health</c> says ok.</summary>
    public static async Task<ServerProcess> StartAsync(IReadOnlyDictionary<string, string> environment)
    {
        var port = FreePort();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(Locate());
        start.ArgumentList.Add("--urls");
        start.ArgumentList.Add($"http://127.0.0.1:{port}");
        foreach (var (name, value) in environment)
        {
            start.Environment[name] = value;
        }

        var server = new ServerProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"), new Uri($"http://127.0.0.1:{port}"));
        using var client = server.Client();
        var deadline = DateTime.UtcNow + StartTimeout;
        while (true)
        {
            if (server.process.HasExited)
            {
                Assert.Fail($"the server exited with {server.process.ExitCode} at start:\n{server.Output}");
            }

            try
            {
                using var health = await client.GetAsync("/health");
                if (health.StatusCode == HttpStatusCode.OK)
                {
                    return server;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                await server.DisposeAsync();
                Assert.Fail($"the server did not become healthy in {StartTimeout}:\n{server.Output}");
            }

            await Task.Delay(200);
        }
    }

    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(120) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new("Bearer", key);
        }

        return client;
    }

    /// <summary>Kills the process at once (SIGKILL): no shutdown, no finally blocks, holds left as they are.</summary>
    public async Task KillAsync()
    {
        process.Kill(entireProcessTree: true);
        await process.WaitForExitAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            await KillAsync();
        }

        process.Dispose();
    }

    private void Append(string? line)
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

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Locate()
    {
        // tests/FlexiDiT.Server.Tests/bin/<Configuration>/<tfm>/ → samples/FlexiDiT.Server/bin/<Configuration>/<tfm>/FlexiDiT.Server.dll
        var tfm = new DirectoryInfo(AppContext.BaseDirectory);
        var path = Path.Combine(FlexiDiTCli.RepositoryRoot, "samples", "FlexiDiT.Server", "bin", tfm.Parent!.Name, tfm.Name, "FlexiDiT.Server.dll");
        Assert.True(File.Exists(path), $"the server was not built at {path}");
        return path;
    }
}
