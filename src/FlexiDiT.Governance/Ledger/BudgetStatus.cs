namespace FlexiDiT.Governance.Ledger;

/// <summary>A tenant's (and optionally a user's) budget in the current period.</summary>
/// <param name="TenantId">The tenant.</param>
/// <param name="UserId">The user, or <see langword="null"/>.</param>
/// <param name="Period">The current period.</param>
/// <param name="Tenant">The tenant's figures.</param>
/// <param name="User">The user's figures, when a user was asked about.</param>
public sealed record BudgetStatus(
    string TenantId,
    string? UserId,
    BudgetPeriodWindow Period,
    AccountBalance Tenant,
    AccountBalance? User)
{
    /// <summary>Gets the credits the payer can still reserve: the smaller of the tenant's and the user's remaining.</summary>
    public decimal Remaining => User?.Remaining is { } user ? Math.Min(user, Tenant.Remaining ?? 0) : Tenant.Remaining ?? 0;
}
