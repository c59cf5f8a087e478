using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>Class labels (N, int64), as DiT is conditioned.</summary>
public sealed class ClassCondition(Tensor labels) : ModelCondition
{
    /// <summary>The labels.</summary>
    public Tensor Labels { get; } = labels;

    /// <inheritdoc />
    public override long Count => Labels.shape[0];

    /// <inheritdoc />
    public override ModelCondition CopyTo(Device device) => new ClassCondition(Labels.to(device).clone());

    /// <inheritdoc />
    public override void DetachFromDisposeScope() => Labels.DetachFromDisposeScope();

    /// <inheritdoc />
    public override ModelCondition Where(Tensor take, ModelCondition other) =>
        new ClassCondition(torch.where(take.to(Labels.device), As<ClassCondition>(other).Labels.to(Labels.device), Labels));

    /// <summary>The labels of all parts as one batch.</summary>
    public static ClassCondition Concat(IReadOnlyList<ClassCondition> parts) => new(cat(parts.Select(p => p.Labels).ToArray(), 0));

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => Labels.Dispose();
}
