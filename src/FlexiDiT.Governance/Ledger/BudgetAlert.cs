namespace FlexiDiT.Governance.Ledger;

/// <summary>Spend crossed a soft-alert threshold; raised once per threshold, account and period.</summary>
public sealed class BudgetAlert : EventArgs
{
    /// <summary>Gets the tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Gets the user whose own budget crossed the threshold, or <see langword="null"/> for the tenant's budget.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets which budget crossed the threshold.</summary>
    public BudgetScope Scope => UserId is null ? BudgetScope.Tenant : BudgetScope.User;

    /// <summary>Gets the threshold crossed, as a fraction of the limit.</summary>
    public required double Threshold { get; init; }

    /// <summary>Gets the credits committed in the period.</summary>
    public required decimal Spent { get; init; }

    /// <summary>Gets the limit in force.</summary>
    public required decimal Limit { get; init; }

    /// <summary>Gets the period.</summary>
    public required BudgetPeriodWindow Period { get; init; }
}
