namespace FlexiDiT.Governance.Ledger;

/// <summary>Options of <see cref="BudgetLedger"/>.</summary>
public sealed class BudgetLedgerOptions
{
    /// <summary>
    /// Gets or sets how long a reservation lives when the caller gives no time-to-live. It should exceed the longest
    /// generation: a reservation reclaimed while its work still runs can no longer be committed.
    /// </summary>
    public TimeSpan DefaultReservationTtl { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Gets or sets the longest time-to-live a caller may ask for, so a stuck hold cannot block a budget for long.</summary>
    public TimeSpan MaxReservationTtl { get; set; } = TimeSpan.FromHours(12);

    internal void Validate()
    {
        if (MaxReservationTtl <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxReservationTtl), MaxReservationTtl, "must be positive");
        }

        if (DefaultReservationTtl <= TimeSpan.Zero || DefaultReservationTtl > MaxReservationTtl)
        {
            throw new ArgumentOutOfRangeException(nameof(DefaultReservationTtl), DefaultReservationTtl, "must be positive and at most MaxReservationTtl");
        }
    }
}
