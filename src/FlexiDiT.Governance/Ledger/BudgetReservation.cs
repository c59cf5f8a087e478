namespace FlexiDiT.Governance.Ledger;

/// <summary>Credits held for a generation in flight. Commit or release it; if its holder dies, it expires.</summary>
/// <param name="Id">The reservation id.</param>
/// <param name="TenantId">The tenant.</param>
/// <param name="UserId">The user, or <see langword="null"/>.</param>
/// <param name="Amount">The credits held.</param>
/// <param name="Period">The period the credits count in.</param>
/// <param name="ExpiresAt">When the reservation is reclaimed if still held.</param>
public sealed record BudgetReservation(
    Guid Id,
    string TenantId,
    string? UserId,
    decimal Amount,
    BudgetPeriodWindow Period,
    DateTimeOffset ExpiresAt);
