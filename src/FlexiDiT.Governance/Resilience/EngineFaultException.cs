namespace FlexiDiT.Governance.Resilience;

/// <summary>
/// Thrown by an engine for a failure of the engine itself rather than of one request (a corrupt checkpoint, a native
/// library error, non-finite outputs). Counts towards opening the circuit breaker.
/// </summary>
public sealed class EngineFaultException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="EngineFaultException"/> class.</summary>
    /// <param name="message">What failed.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public EngineFaultException(string message, Exception? innerException = null)
        : base(message, innerException)
    {
    }
}
