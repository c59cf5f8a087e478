using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>The additive attention bias of a key mask, as scaled-dot-product attention takes it: 0 on kept keys, −∞ on dropped ones.</summary>
public static class KeyBias
{
    // Rooted for the life of the process. A Scalar converted implicitly at the call site is unreachable once its handle
    // is read, so its finalizer can free it while libtorch still reads it: a training run died that way after ~600
    // steps ("Expected false to be true" from c10::Scalar::toFloat inside masked_fill).
    private static readonly Scalar MinusInfinity = double.NegativeInfinity;

    /// <summary><paramref name="keep"/> (N, L), true on kept keys → (N, 1, 1, L) of <paramref name="dtype"/>.</summary>
    public static Tensor FromKeep(Tensor keep, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(keep);
        if (keep.dim() != 2) throw new ArgumentException($"A key mask is (N, L); got [{string.Join(", ", keep.shape)}].", nameof(keep));
        long n = keep.shape[0], length = keep.shape[1];
        return torch.zeros(n, length, dtype: dtype, device: keep.device).masked_fill(keep.logical_not(), MinusInfinity).view(n, 1, 1, length);
    }
}
