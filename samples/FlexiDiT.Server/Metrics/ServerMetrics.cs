using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace FlexiDiT.Server.Metrics;

/// <summary>
/// The server's counters, published through <see cref="System.Diagnostics.Metrics"/> (meter <c>FlexiDiT.Server</c>,
/// for OpenTelemetry or <c>dotnet-counters</c>) and as a JSON snapshot at <c>GET /metrics</c>. Totals only, never
/// per tenant, so the public endpoint reveals no one's spending.
/// </summary>
public sealed class ServerMetrics : IDisposable
{
    /// <summary>The meter's name.</summary>
    public const string MeterName = "FlexiDiT.Server";

    private readonly Meter meter = new(MeterName);
    private readonly Counter<long> requests;
    private readonly Counter<long> images;
    private readonly Counter<double> credits;
    private readonly Counter<long> refusals;
    private readonly Histogram<double> latency;
    private readonly ConcurrentDictionary<string, long> refusalsByCode = new(StringComparer.Ordinal);
    private readonly DateTimeOffset started = DateTimeOffset.UtcNow;
    private long requestCount;
    private long imageCount;
    private long creditMicros;
    private long unauthorized;
    private long failures;
    private long alerts;
    private long latencyMicros;

    /// <summary>Initializes a new instance of the <see cref="ServerMetrics"/> class.</summary>
    public ServerMetrics()
    {
        requests = meter.CreateCounter<long>("flexidit.server.generation_requests", description: "Image generation requests that passed authentication");
        images = meter.CreateCounter<long>("flexidit.server.images", description: "Images generated");
        credits = meter.CreateCounter<double>("flexidit.server.credits", unit: "credits", description: "Credits charged to the ledger");
        refusals = meter.CreateCounter<long>("flexidit.server.refusals", description: "Requests refused by the governance");
        latency = meter.CreateHistogram<double>("flexidit.server.generation_latency", unit: "ms", description: "Time to generate a request's images");
    }

    /// <summary>Counts a request that passed authentication.</summary>
    public void Request()
    {
        Interlocked.Increment(ref requestCount);
        requests.Add(1);
    }

    /// <summary>Counts a generation that ran.</summary>
    /// <param name="images">Images generated.</param>
    /// <param name="credits">Credits charged.</param>
    /// <param name="latencyMs">Milliseconds taken.</param>
    public void Generated(int images, decimal credits, double latencyMs)
    {
        Interlocked.Add(ref imageCount, images);
        Interlocked.Add(ref creditMicros, (long)Math.Round(credits * 1_000_000));
        Interlocked.Add(ref latencyMicros, (long)Math.Round(latencyMs * 1000));
        this.images.Add(images);
        this.credits.Add((double)credits);
        latency.Record(latencyMs);
    }

    /// <summary>Counts a refusal.</summary>
    /// <param name="code">The refusal's code.</param>
    public void Refused(string code)
    {
        refusalsByCode.AddOrUpdate(code, 1, (_, n) => n + 1);
        refusals.Add(1, new KeyValuePair<string, object?>("code", code));
    }

    /// <summary>Counts a request without a valid API key.</summary>
    public void Unauthorized() => Interlocked.Increment(ref unauthorized);

    /// <summary>Counts a generation that failed in the engine.</summary>
    public void Failed() => Interlocked.Increment(ref failures);

    /// <summary>Counts a budget alert raised by the ledger.</summary>
    public void Alert() => Interlocked.Increment(ref alerts);

    /// <summary>Takes a snapshot for <c>GET /metrics</c>.</summary>
    /// <returns>The snapshot.</returns>
    public MetricsSnapshot Snapshot()
    {
        var generations = Interlocked.Read(ref requestCount) - refusalsByCode.Values.Sum() - Interlocked.Read(ref failures);
        return new MetricsSnapshot
        {
            StartedAt = started,
            UptimeSeconds = Math.Round((DateTimeOffset.UtcNow - started).TotalSeconds, 1),
            GenerationRequestsTotal = Interlocked.Read(ref requestCount),
            ImagesGeneratedTotal = Interlocked.Read(ref imageCount),
            CreditsChargedTotal = Interlocked.Read(ref creditMicros) / 1_000_000m,
            RefusalsTotal = new SortedDictionary<string, long>(refusalsByCode, StringComparer.Ordinal),
            UnauthorizedTotal = Interlocked.Read(ref unauthorized),
            FailuresTotal = Interlocked.Read(ref failures),
            BudgetAlertsTotal = Interlocked.Read(ref alerts),
            AverageLatencyMs = generations > 0 ? Math.Round(Interlocked.Read(ref latencyMicros) / 1000.0 / generations, 1) : null,
        };
    }

    /// <inheritdoc />
    public void Dispose() => meter.Dispose();
}
