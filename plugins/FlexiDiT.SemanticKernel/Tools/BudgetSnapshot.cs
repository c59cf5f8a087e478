namespace FlexiDiT.SemanticKernel;

/// <summary>The answer of <c>get_budget_status</c>: the payer's budget this period, from the ledger, and the run's caps.</summary>
public sealed record BudgetSnapshot
{
    /// <summary>Gets the tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Gets the user, if the tools spend for one.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the credits committed this period by the payer (the user when there is one, else the tenant).</summary>
    public required decimal Spent { get; init; }

    /// <summary>Gets the credits held by generations in flight.</summary>
    public required decimal Reserved { get; init; }

    /// <summary>Gets the payer's budget this period, or <see langword="null"/> for a user without a budget of their own.</summary>
    public decimal? Limit { get; init; }

    /// <summary>Gets the credits that can still be spent this period (the smaller of the tenant's and the user's).</summary>
    public required decimal Remaining { get; init; }

    /// <summary>Gets when the period ends and the budget starts afresh (UTC).</summary>
    public required DateTimeOffset PeriodEnd { get; init; }

    /// <summary>Gets the credits this run has spent.</summary>
    public decimal RunSpent { get; init; }

    /// <summary>Gets the credits this run may still spend under its own cap, if it has one.</summary>
    public decimal? RunSpendLeft { get; init; }

    /// <summary>Gets the tool calls this run may still make.</summary>
    public int? RunCallsLeft { get; init; }
}
