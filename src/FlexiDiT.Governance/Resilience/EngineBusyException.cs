namespace FlexiDiT.Governance.Resilience;

/// <summary>
/// Every engine slot is busy and the waiting queue is full. Transient: retry after <see cref="GenerationRejectedException.RetryAfter"/>.
/// </summary>
public sealed class EngineBusyException : GenerationRejectedException
{
    /// <summary>Initializes a new instance of the <see cref="EngineBusyException"/> class.</summary>
    /// <param name="retryAfter">A hint for when to retry.</param>
    /// <param name="innerException">The rate limiter's rejection, if any.</param>
    public EngineBusyException(TimeSpan retryAfter, Exception? innerException = null)
        : base(
            string.Create(System.Globalization.CultureInfo.InvariantCulture, $"the engine is busy and its queue is full; retry in about {retryAfter.TotalSeconds:0.#} s"),
            retryAfter,
            innerException)
    {
    }
}
