namespace FlexiDiT.Governance.Resilience;

/// <summary>
/// The pipeline turned a generation away without running it to the end; the caller may retry after
/// <see cref="RetryAfter"/>.
/// </summary>
public abstract class GenerationRejectedException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="GenerationRejectedException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="retryAfter">When a retry may succeed, if known.</param>
    /// <param name="innerException">The cause, if any.</param>
    protected GenerationRejectedException(string message, TimeSpan? retryAfter, Exception? innerException)
        : base(message, innerException)
    {
        RetryAfter = retryAfter;
    }

    /// <summary>Gets how long to wait before a retry may succeed, if known.</summary>
    public TimeSpan? RetryAfter { get; }
}
