using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>
/// Caption features from a text encoder, (N, L, C), with their token mask (N, L), 1 where a token is kept;
/// optionally the features of a negative prompt (e.g. the empty prompt's encoding) that guidance uses in place
/// of the model's learned null caption.
/// </summary>
public sealed class CaptionCondition : ModelCondition
{
    /// <summary>Creates the condition; a null mask keeps every token.</summary>
    public CaptionCondition(Tensor features, Tensor? mask = null, CaptionCondition? negative = null)
    {
        ArgumentNullException.ThrowIfNull(features);
        if (features.dim() != 3) throw new ArgumentException($"Caption features must be (N, L, C); got [{string.Join(", ", features.shape)}].", nameof(features));
        mask ??= ones(features.shape[0], features.shape[1], dtype: int64, device: features.device);
        if (mask.dim() != 2 || mask.shape[0] != features.shape[0] || mask.shape[1] != features.shape[1])
            throw new ArgumentException($"Caption mask [{string.Join(", ", mask.shape)}] must be (N, L) = [{features.shape[0]}, {features.shape[1]}].", nameof(mask));
        if (mask.ne(0).sum(1).min().item<long>() == 0)
            throw new ArgumentException("Every caption must keep at least one token (a mask row is all zero).", nameof(mask));
        if (negative is not null && negative.Count != features.shape[0])
            throw new ArgumentException($"The negative prompt has {negative.Count} rows, the captions {features.shape[0]}.", nameof(negative));
        Features = features;
        Mask = mask;
        Negative = negative;
    }

    /// <summary>Features (N, L, C).</summary>
    public Tensor Features { get; }
    /// <summary>Mask (N, L), non-zero on kept tokens.</summary>
    public Tensor Mask { get; }
    /// <summary>The negative prompt for guidance, if given.</summary>
    public CaptionCondition? Negative { get; }

    /// <summary>What the model keeps from these captions for later steps (<see cref="KeepModelCache"/>), or null.</summary>
    internal CaptionCache? Cache { get; private set; }

    /// <summary>The conditions this batch was concatenated from, in row order (<see cref="Concat"/>), or null: a model keeps its cache in them.</summary>
    internal IReadOnlyList<CaptionCondition>? Parts { get; private init; }

    /// <inheritdoc />
    internal override void KeepModelCache() => Cache ??= new CaptionCache();

    /// <inheritdoc />
    internal override void ReleaseModelCache(int patchSize) => Cache?.Release(patchSize);

    /// <inheritdoc />
    public override long Count => Features.shape[0];

    /// <inheritdoc />
    public override ModelCondition CopyTo(Device device) => new CaptionCondition(Features.to(device).clone(), Mask.to(device).clone(), (CaptionCondition?)Negative?.CopyTo(device));

    /// <inheritdoc />
    public override void DetachFromDisposeScope()
    {
        Features.DetachFromDisposeScope();
        Mask.DetachFromDisposeScope();
        Negative?.DetachFromDisposeScope();
    }

    /// <inheritdoc />
    public override ModelCondition Where(Tensor take, ModelCondition other)
    {
        var o = As<CaptionCondition>(other);
        if (o.Features.shape[1] != Features.shape[1])
            throw new ArgumentException($"Captions of {Features.shape[1]} and {o.Features.shape[1]} tokens cannot be mixed row by row; encode both to one length.", nameof(other));
        var rows = take.to(Features.device);
        return new CaptionCondition(
            torch.where(rows.view(-1, 1, 1), o.Features.to(Features.dtype, Features.device), Features),
            torch.where(rows.view(-1, 1), o.Mask.to(Mask.dtype, Mask.device), Mask));
    }

    /// <summary>All parts as one batch; captions of different lengths are padded with masked tokens.</summary>
    public static CaptionCondition Concat(IReadOnlyList<CaptionCondition> parts)
    {
        long length = parts.Max(p => p.Features.shape[1]);
        Tensor Pad(Tensor t, long l) => l == length ? t : nn.functional.pad(t, t.dim() == 3 ? [0, 0, 0, length - l] : [0, length - l]);
        var features = cat(parts.Select(p => Pad(p.Features, p.Features.shape[1])).ToArray(), 0);
        var mask = cat(parts.Select(p => Pad(p.Mask, p.Mask.shape[1])).ToArray(), 0);
        var negative = parts.All(p => p.Negative is not null) ? Concat(parts.Select(p => p.Negative!).ToList()) : null;
        return new CaptionCondition(features, mask, negative) { Parts = parts };
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        Features.Dispose();
        Mask.Dispose();
        Negative?.Dispose();
        Cache?.Dispose();
    }
}
