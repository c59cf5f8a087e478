namespace FlexiDiT.Governance.Ledger;

/// <summary>A reservation as stored.</summary>
/// <param name="Id">The reservation id.</param>
/// <param name="TenantId">The tenant.</param>
/// <param name="UserId">The user, or <see langword="null"/>.</param>
/// <param name="PeriodKey">The period the amount counts in.</param>
/// <param name="AmountMicros">The amount held, in micro-credits.</param>
/// <param name="CreatedAt">When it was made.</param>
/// <param name="ExpiresAt">When it may be reclaimed if still held.</param>
/// <param name="State">Where it is in its life.</param>
/// <param name="ActualMicros">The amount charged, once committed.</param>
/// <param name="SettledAt">When it was committed, released or reclaimed.</param>
public sealed record ReservationRecord(
    Guid Id,
    string TenantId,
    string? UserId,
    string PeriodKey,
    long AmountMicros,
    DateTimeOffset CreatedAt,
    DateTimeOffset ExpiresAt,
    ReservationState State,
    long? ActualMicros,
    DateTimeOffset? SettledAt);
