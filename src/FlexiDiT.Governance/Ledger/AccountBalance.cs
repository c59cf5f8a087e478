namespace FlexiDiT.Governance.Ledger;

/// <summary>One account's figures in a period.</summary>
/// <param name="Limit">The budget in force, or <see langword="null"/> for a user without a budget of their own.</param>
/// <param name="Spent">The credits committed.</param>
/// <param name="Reserved">The credits held by work in flight.</param>
public sealed record AccountBalance(decimal? Limit, decimal Spent, decimal Reserved)
{
    /// <summary>Gets the credits still available, or <see langword="null"/> when the account has no limit of its own.</summary>
    public decimal? Remaining => Limit is { } limit ? Math.Max(0, limit - Spent - Reserved) : null;
}
