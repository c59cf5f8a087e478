namespace FlexiDiT.Governance.Resilience;

/// <summary>A generation could not finish within its latency SLA, and no cheaper plan could (or was allowed to) take over.</summary>
public sealed class GenerationTimeoutException : TimeoutException
{
    /// <summary>Initializes a new instance of the <see cref="GenerationTimeoutException"/> class.</summary>
    /// <param name="message">What ran out of time and why no fallback helped.</param>
    /// <param name="planName">The plan that was running (or waiting) when time ran out.</param>
    /// <param name="sla">The latency SLA.</param>
    /// <param name="elapsed">The time spent, queueing included.</param>
    /// <param name="innerException">The timeout that fired, if any.</param>
    public GenerationTimeoutException(string message, string planName, TimeSpan sla, TimeSpan elapsed, Exception? innerException = null)
        : base(message, innerException)
    {
        PlanName = planName;
        Sla = sla;
        Elapsed = elapsed;
    }

    /// <summary>Gets the plan that was running (or waiting) when time ran out.</summary>
    public string PlanName { get; }

    /// <summary>Gets the latency SLA.</summary>
    public TimeSpan Sla { get; }

    /// <summary>Gets the time spent, queueing included.</summary>
    public TimeSpan Elapsed { get; }
}
