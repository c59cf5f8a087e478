namespace FlexiDiT.Governance.Ledger;

/// <summary>The result of <see cref="IBudgetStore.TryReserveAsync"/>.</summary>
/// <param name="Succeeded">Whether the amount is now held.</param>
/// <param name="DeniedBy">Which limit refused it, when it failed.</param>
/// <param name="Tenant">The tenant's usage: after the reservation when it succeeded, as judged when it failed.</param>
/// <param name="User">The user's usage likewise, when a user was given.</param>
/// <param name="TenantLimitMicros">The tenant limit applied (override or policy).</param>
/// <param name="UserLimitMicros">The user limit applied, if the user has one.</param>
public sealed record StoreReserveOutcome(
    bool Succeeded,
    BudgetScope? DeniedBy,
    AccountUsage Tenant,
    AccountUsage? User,
    long TenantLimitMicros,
    long? UserLimitMicros);
