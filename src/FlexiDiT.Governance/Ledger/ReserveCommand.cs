namespace FlexiDiT.Governance.Ledger;

/// <summary>What <see cref="IBudgetStore.TryReserveAsync"/> is asked to hold, and against which limits.</summary>
public sealed record ReserveCommand
{
    /// <summary>Gets the id the new reservation gets.</summary>
    public required Guid ReservationId { get; init; }

    /// <summary>Gets the tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Gets the user, or <see langword="null"/>.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the period the amount counts in.</summary>
    public required string PeriodKey { get; init; }

    /// <summary>Gets the amount in micro-credits.</summary>
    public required long AmountMicros { get; init; }

    /// <summary>Gets the tenant's limit from policy; a stored override takes precedence.</summary>
    public required long TenantLimitMicros { get; init; }

    /// <summary>Gets the user's limit from policy, or <see langword="null"/> when the user has none; a stored override takes precedence.</summary>
    public long? UserLimitMicros { get; init; }

    /// <summary>Gets the time of the reservation.</summary>
    public required DateTimeOffset CreatedAt { get; init; }

    /// <summary>Gets when the reservation may be reclaimed if it is still held.</summary>
    public required DateTimeOffset ExpiresAt { get; init; }
}
