namespace FlexiDiT.Server;

/// <summary>The answer of <c>GET /v1/estimate</c>: each mode's price for a request and what would run now.</summary>
public sealed record EstimateResult
{
    /// <summary>Gets the task type.</summary>
    public required string TaskType { get; init; }

    /// <summary>Gets the number of images.</summary>
    public required int N { get; init; }

    /// <summary>Gets every mode, cheapest first.</summary>
    public required IReadOnlyList<ModeResult> Modes { get; init; }

    /// <summary>Gets the mode that would run with the caller's remaining budget, or <see langword="null"/> when it would be refused.</summary>
    public string? WouldRun { get; init; }

    /// <summary>Gets the policy's explanation.</summary>
    public required string Decision { get; init; }
}
