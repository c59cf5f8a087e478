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

    private readonly Meter _meter = new(MeterName);
    private readonly Counter<long> _requests;
    private readonly Counter<long> _images;
    private readonly Counter<double> _credits;
    private readonly Counter<long> _refusals;
    private readonly Histogram<double> _latency;
    private readonly ConcurrentDictionary<string, long> _refusalsByCode = new(StringComparer.Ordinal);
    private readonly DateTimeOffset _started = DateTimeOffset.UtcNow;
    private long _requestCount;
    private long _imageCount;
    private long _creditMicros;
    private long _unauthorized;
    private long _failures;
    private long _alerts;
    private long _latencyMicros;

    /// <summary>Initializes a new instance of the <see cref="ServerMetrics"/> class.</summary>
    public ServerMetrics()
    {
        _requests = _meter.CreateCounter<long>("flexidit.server.generation_requests", description: "Image generation requests that passed authentication");
        _images = _meter.CreateCounter<long>("flexidit.server.images", description: "Images generated");
        _credits = _meter.CreateCounter<double>("flexidit.server.credits", unit: "credits", description: "Credits charged to the ledger");
        _refusals = _meter.CreateCounter<long>("flexidit.server.refusals", description: "Requests refused by the governance");
        _latency = _meter.CreateHistogram<double>("flexidit.server.generation_latency", unit: "ms", description: "Time to generate a request's images");
    }

    /// <summary>Counts a request that passed authentication.</summary>
    public void Request()
    {
        Interlocked.Increment(ref _requestCount);
        _requests.Add(1);
    }

    /// <summary>Counts a generation that ran.</summary>
    /// <param name="images">Images generated.</param>
    /// <param name="credits">Credits charged.</param>
    /// <param name="latencyMs">Milliseconds taken.</param>
    public void Generated(int images, decimal credits, double latencyMs)
    {
        Interlocked.Add(ref _imageCount, images);
        Interlocked.Add(ref _creditMicros, (long)Math.Round(credits * 1_000_000));
        Interlocked.Add(ref _latencyMicros, (long)Math.Round(latencyMs * 1000));
        _images.Add(images);
        _credits.Add((double)credits);
        _latency.Record(latencyMs);
    }

    /// <summary>Counts a refusal.</summary>
    /// <param name="code">The refusal's code.</param>
    public void Refused(string code)
    {
        _refusalsByCode.AddOrUpdate(code, 1, (_, n) => n + 1);
        _refusals.Add(1, new KeyValuePair<string, object?>("code", code));
    }

    /// <summary>Counts a request without a valid API key.</summary>
    public void Unauthorized() => Interlocked.Increment(ref _unauthorized);

    /// <summary>Counts a generation that failed in the engine.</summary>
    public void Failed() => Interlocked.Increment(ref _failures);

    /// <summary>Counts a budget alert raised by the ledger.</summary>
    public void Alert() => Interlocked.Increment(ref _alerts);

    /// <summary>Takes a snapshot for <c>GET /metrics</c>.</summary>
    /// <returns>The snapshot.</returns>
    public MetricsSnapshot Snapshot()
    {
        var generations = Interlocked.Read(ref _requestCount) - _refusalsByCode.Values.Sum() - Interlocked.Read(ref _failures);
        return new MetricsSnapshot
        {
            StartedAt = _started,
            UptimeSeconds = Math.Round((DateTimeOffset.UtcNow - _started).TotalSeconds, 1),
            GenerationRequestsTotal = Interlocked.Read(ref _requestCount),
            ImagesGeneratedTotal = Interlocked.Read(ref _imageCount),
            CreditsChargedTotal = Interlocked.Read(ref _creditMicros) / 1_000_000m,
            RefusalsTotal = new SortedDictionary<string, long>(_refusalsByCode, StringComparer.Ordinal),
            UnauthorizedTotal = Interlocked.Read(ref _unauthorized),
            FailuresTotal = Interlocked.Read(ref _failures),
            BudgetAlertsTotal = Interlocked.Read(ref _alerts),
            AverageLatencyMs = generations > 0 ? Math.Round(Interlocked.Read(ref _latencyMicros) / 1000.0 / generations, 1) : null,
        };
    }

    /// <inheritdoc />
    public void Dispose() => _meter.Dispose();
}
