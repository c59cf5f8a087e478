namespace FlexiDiT.SemanticKernel;

/// <summary>The answer of <c>estimate_image_cost</c>: every mode's price for a request and what would be chosen now.</summary>
public sealed record CostEstimate
{
    /// <summary>Gets the task type.</summary>
    public required string TaskType { get; init; }

    /// <summary>Gets the number of images.</summary>
    public required int Count { get; init; }

    /// <summary>Gets every mode, cheapest first.</summary>
    public required IReadOnlyList<ModeCost> Modes { get; init; }

    /// <summary>Gets the mode that would run now, given the budget left, or <see langword="null"/> when the request would be refused.</summary>
    public string? WouldRun { get; init; }

    /// <summary>Gets the price of <see cref="WouldRun"/>.</summary>
    public decimal? WouldCost { get; init; }

    /// <summary>Gets the credits this run may still spend (the smaller of the ledger's budget and the run's cap).</summary>
    public required decimal CreditsAvailable { get; init; }

    /// <summary>Gets the policy engine's explanation of what would happen.</summary>
    public required string Decision { get; init; }
}
