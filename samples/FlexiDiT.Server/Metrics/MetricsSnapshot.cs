namespace FlexiDiT.Server.Metrics;

/// <summary>The JSON of <c>GET /metrics</c>.</summary>
public sealed record MetricsSnapshot
{
    /// <summary>Gets when the server started.</summary>
    public required DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets the seconds since it started.</summary>
    public required double UptimeSeconds { get; init; }

    /// <summary>Gets the authenticated generation requests.</summary>
    public required long GenerationRequestsTotal { get; init; }

    /// <summary>Gets the images generated.</summary>
    public required long ImagesGeneratedTotal { get; init; }

    /// <summary>Gets the credits charged.</summary>
    public required decimal CreditsChargedTotal { get; init; }

    /// <summary>Gets the refusals by code.</summary>
    public required IReadOnlyDictionary<string, long> RefusalsTotal { get; init; }

    /// <summary>Gets the requests without a valid key.</summary>
    public required long UnauthorizedTotal { get; init; }

    /// <summary>Gets the generations that failed in the engine.</summary>
    public required long FailuresTotal { get; init; }

    /// <summary>Gets the budget alerts raised.</summary>
    public required long BudgetAlertsTotal { get; init; }

    /// <summary>Gets the mean generation time, if any ran.</summary>
    public double? AverageLatencyMs { get; init; }
}
