namespace FlexiDiT.Governance.Resilience;

/// <summary>
/// The engine failed repeatedly (missing model, out of memory, ...) and the circuit is open: generations fail fast
/// until <see cref="GenerationRejectedException.RetryAfter"/>. <see cref="Exception.InnerException"/> is the fault that opened it.
/// </summary>
public sealed class EngineUnavailableException : GenerationRejectedException
{
    /// <summary>Initializes a new instance of the <see cref="EngineUnavailableException"/> class.</summary>
    /// <param name="cause">The engine fault that opened the circuit, if known.</param>
    /// <param name="retryAfter">When the circuit lets a trial generation through, if known.</param>
    public EngineUnavailableException(Exception? cause, TimeSpan? retryAfter)
        : base(
            cause is null
                ? "the engine is unavailable after repeated faults"
                : $"the engine is unavailable after repeated faults; last fault: {cause.GetType().Name}: {cause.Message}",
            retryAfter,
            cause)
    {
    }
}
