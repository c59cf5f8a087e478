namespace FlexiDiT.SemanticKernel;

/// <summary>
/// Caps on one agent run, on top of the ledger's budgets: they stop a model that loops or overspends long before
/// the tenant's monthly budget would.
/// </summary>
public sealed record ImageRunLimits
{
    /// <summary>Gets the most tool calls (of any FlexiDiT tool) one run may make; the call after the last is refused and the run stops.</summary>
    public int MaxCalls { get; init; } = 12;

    /// <summary>Gets the most credits one run may spend, or <see langword="null"/> for no cap besides the ledger's budgets.</summary>
    public decimal? MaxSpend { get; init; }

    /// <summary>Gets how many refused generation calls a run tolerates; the last one stops the run (a model ignoring refusals).</summary>
    public int MaxRefusals { get; init; } = 2;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxCalls, 1, nameof(MaxCalls));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRefusals, 1, nameof(MaxRefusals));
        if (MaxSpend is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxSpend), MaxSpend, "must not be negative");
        }
    }
}
