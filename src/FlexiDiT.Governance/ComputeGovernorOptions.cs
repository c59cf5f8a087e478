namespace FlexiDiT.Governance;

/// <summary>Options of <see cref="ComputeGovernor{TResult}"/>.</summary>
public sealed class ComputeGovernorOptions
{
    /// <summary>
    /// Gets or sets how long a reservation outlives the request's SLA. The pipeline ends every generation by its SLA,
    /// so this only needs to cover an engine slow to honour cancellation and the commit itself.
    /// </summary>
    public TimeSpan ReservationMargin { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Gets or sets how many times to decide again when another request spent the budget between reading it and
    /// reserving. The second decision sees the new balance and may degrade or refuse.
    /// </summary>
    public int BudgetRaceRetries { get; set; } = 2;

    internal void Validate()
    {
        if (ReservationMargin <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ReservationMargin), ReservationMargin, "must be positive");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(BudgetRaceRetries, nameof(BudgetRaceRetries));
    }
}
