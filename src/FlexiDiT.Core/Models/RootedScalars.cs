using TorchSharp;

namespace FlexiDiT.Models;

/// <summary>
/// Scalars the forward passes to libtorch on every call, rooted for the life of the process. A Scalar converted implicitly
/// at the call site is unreachable once its handle is read, so its finalizer can free it while libtorch still reads it:
/// a training run died that way after ~600 steps ("Expected false to be true" from c10::Scalar::toFloat inside
/// masked_fill). TorchSharp pull requests #1434 and #1496 discuss disposing them inside TorchSharp.
/// </summary>
internal static class RootedScalars
{
    /// <summary>1, for x·(1 + scale) and addcmul's value.</summary>
    public static readonly Scalar One = 1;

    /// <summary>−∞, for the attention bias of dropped keys.</summary>
    public static readonly Scalar MinusInfinity = double.NegativeInfinity;
}
