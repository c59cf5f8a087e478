namespace FlexiDiT.Governance.Resilience;

/// <summary>Options of <see cref="GenerationResiliencePipeline{TResult}"/>.</summary>
public sealed class GenerationResilienceOptions
{
    /// <summary>
    /// Gets or sets how many generations run on the engine at once. One by default: on a CPU a second generation
    /// only halves the speed of the first.
    /// </summary>
    public int MaxConcurrentGenerations { get; set; } = 1;

    /// <summary>Gets or sets how many generations may wait for a slot; beyond that, <see cref="EngineBusyException"/>.</summary>
    public int MaxQueuedGenerations { get; set; } = 4;

    /// <summary>Gets or sets the retry hint given with <see cref="EngineBusyException"/>.</summary>
    public TimeSpan BusyRetryAfter { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Gets or sets the safety margin on predicted latencies when splitting the SLA between the approved plan and a
    /// fallback: a task that may degrade gives its approved plan the SLA minus this factor times the fastest cheaper
    /// plan's predicted latency (but never less than this factor times its own prediction).
    /// </summary>
    public double FallbackReserveFactor { get; set; } = 1.25;

    /// <summary>Gets or sets the share of engine faults among recent generations that opens the circuit.</summary>
    public double CircuitFailureRatio { get; set; } = 0.5;

    /// <summary>Gets or sets how many generations must have run in the sampling window before the circuit may open.</summary>
    public int CircuitMinimumThroughput { get; set; } = 2;

    /// <summary>Gets or sets the window over which the failure ratio is measured.</summary>
    public TimeSpan CircuitSamplingDuration { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Gets or sets how long the circuit stays open before one trial generation is let through.</summary>
    public TimeSpan CircuitBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Gets or sets which exceptions are engine faults (counted by the circuit breaker). Cancellations are never
    /// faults, whatever this says. Defaults to <see cref="DefaultIsEngineFault"/>.
    /// </summary>
    public Func<Exception, bool> IsEngineFault { get; set; } = DefaultIsEngineFault;

    /// <summary>
    /// The default fault classification: a missing model or native library, running out of memory, or an
    /// <see cref="EngineFaultException"/>. Argument errors and the like are the request's fault, not the engine's.
    /// </summary>
    /// <param name="exception">The exception the engine threw.</param>
    /// <returns><see langword="true"/> for an engine fault.</returns>
    public static bool DefaultIsEngineFault(Exception exception) => exception is
        EngineFaultException or FileNotFoundException or DirectoryNotFoundException or DllNotFoundException
        or OutOfMemoryException or InsufficientExecutionStackException;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxConcurrentGenerations, 1, nameof(MaxConcurrentGenerations));
        ArgumentOutOfRangeException.ThrowIfNegative(MaxQueuedGenerations, nameof(MaxQueuedGenerations));
        ArgumentOutOfRangeException.ThrowIfLessThan(BusyRetryAfter, TimeSpan.Zero, nameof(BusyRetryAfter));
        if (!(FallbackReserveFactor >= 1 && double.IsFinite(FallbackReserveFactor)))
        {
            throw new ArgumentOutOfRangeException(nameof(FallbackReserveFactor), FallbackReserveFactor, "must be at least 1");
        }

        if (!(CircuitFailureRatio > 0 && CircuitFailureRatio <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(CircuitFailureRatio), CircuitFailureRatio, "must be in (0, 1]");
        }

        // Polly's own lower bounds, checked here so the error names this option.
        ArgumentOutOfRangeException.ThrowIfLessThan(CircuitMinimumThroughput, 2, nameof(CircuitMinimumThroughput));
        ArgumentOutOfRangeException.ThrowIfLessThan(CircuitSamplingDuration, TimeSpan.FromMilliseconds(500), nameof(CircuitSamplingDuration));
        ArgumentOutOfRangeException.ThrowIfLessThan(CircuitBreakDuration, TimeSpan.FromMilliseconds(500), nameof(CircuitBreakDuration));
        ArgumentNullException.ThrowIfNull(IsEngineFault, nameof(IsEngineFault));
    }
}
