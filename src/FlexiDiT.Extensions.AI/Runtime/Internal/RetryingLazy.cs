namespace FlexiDiT.Extensions.AI.Internal;

/// <summary>
/// A value created once, on first use, by one caller at a time. Unlike <see cref="Lazy{T}"/>, a failure is not cached:
/// a model pack that is missing now (still training, still downloading) loads on a later request without a restart.
/// </summary>
internal sealed class RetryingLazy<T>(Func<T> factory)
    where T : class
{
    private readonly SemaphoreSlim gate = new(1, 1);
    private volatile T? value;

    /// <summary>Gets the value if it was created, without creating it.</summary>
    public T? ValueIfCreated => value;

    /// <summary>Gets the value, creating it on this thread if needed.</summary>
    public T Value
    {
        get
        {
            if (value is { } created)
            {
                return created;
            }

            gate.Wait();
            try
            {
                return value ??= factory();
            }
            finally
            {
                gate.Release();
            }
        }
    }

    /// <summary>Gets the value, creating it on the thread pool if needed (model loads are long and synchronous).</summary>
    /// <param name="cancellationToken">Cancels waiting; a creation already under way finishes for the next caller.</param>
    /// <returns>The value.</returns>
    public async ValueTask<T> GetAsync(CancellationToken cancellationToken)
    {
        if (value is { } created)
        {
            return created;
        }

        await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return value ??= await Task.Run(factory, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            gate.Release();
        }
    }
}
