namespace FlexiDiT.Governance.Policies;

/// <summary>
/// Chooses a cheaper plan when a generation runs out of time (the resilience pipeline asks); implemented by <see cref="ComputePolicyEngine"/>.
/// </summary>
public interface IFallbackPlanSelector
{
    /// <summary>Predicts how long the fastest plan cheaper than the current one takes: the time a fallback needs.</summary>
    /// <param name="current">The approved plan.</param>
    /// <returns>The time, or <see langword="null"/> when no cheaper plan has a predictable latency.</returns>
    TimeSpan? FastestFallbackLatency(PolicyApproval current);

    /// <summary>Chooses the best plan cheaper than the current one that is predicted to finish in the time left.</summary>
    /// <param name="current">The plan that ran out of time.</param>
    /// <param name="timeLeft">The time left until the SLA.</param>
    /// <returns>A degraded approval, or <see langword="null"/> when no cheaper plan fits.</returns>
    PolicyApproval? SelectFallback(PolicyApproval current, TimeSpan timeLeft);
}
