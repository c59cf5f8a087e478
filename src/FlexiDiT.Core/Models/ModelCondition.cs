namespace FlexiDiT.Models;

/// <summary>
/// What a denoiser is conditioned on, for a batch of images: class labels (<see cref="ClassCondition"/>) or
/// caption features (<see cref="CaptionCondition"/>). Conditions of one kind concatenate, so a scheduler can
/// batch the forwards of many requests.
/// </summary>
public abstract class ModelCondition : IDisposable
{
    /// <summary>Number of images conditioned.</summary>
    public abstract long Count { get; }

    /// <summary>A copy of the condition on <paramref name="device"/> (the copy's owner disposes it).</summary>
    public abstract ModelCondition CopyTo(TorchSharp.torch.Device device);

    /// <summary>Keeps the tensors alive beyond the current dispose scope (a run lives across steps).</summary>
    public abstract void DetachFromDisposeScope();

    /// <summary>
    /// Row i of <paramref name="other"/> where <paramref name="take"/>[i] is true, else this row i (both of one kind
    /// and size; e.g. a batch whose chosen rows are unconditional).
    /// </summary>
    public abstract ModelCondition Where(TorchSharp.torch.Tensor take, ModelCondition other);

    /// <summary>
    /// Lets the model keep what it computes from this condition alone, for later forwards on it, until the condition is
    /// disposed: a sampling run calls it on the conditions it owns. A no-op for conditions with nothing worth keeping.
    /// </summary>
    internal virtual void KeepModelCache()
    {
    }

    /// <summary>Frees what the model kept from this condition for <paramref name="patchSize"/> (no later forward runs it).</summary>
    internal virtual void ReleaseModelCache(int patchSize)
    {
    }

    /// <summary>The conditions of <paramref name="parts"/> as one batch, in order; all must be of one kind.</summary>
    public static ModelCondition Concat(IReadOnlyList<ModelCondition> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("Nothing to concatenate.", nameof(parts));
        if (parts.Count == 1) return parts[0];
        return parts[0] switch
        {
            ClassCondition => ClassCondition.Concat(parts.Select(As<ClassCondition>).ToList()),
            CaptionCondition => CaptionCondition.Concat(parts.Select(As<CaptionCondition>).ToList()),
            _ => throw new ArgumentException($"Unknown condition kind {parts[0].GetType().Name}.", nameof(parts)),
        };
    }

    /// <summary>The condition as <typeparamref name="T"/>, or a clear error naming both kinds.</summary>
    public static T As<T>(ModelCondition condition) where T : ModelCondition =>
        condition as T ?? throw new ArgumentException($"This model is conditioned on {typeof(T).Name}, not {condition?.GetType().Name ?? "null"}.", nameof(condition));

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes the tensors.</summary>
    protected abstract void Dispose(bool disposing);
}
