using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>The additive attention bias of a key mask, as scaled-dot-product attention takes it: 0 on kept keys, −∞ on dropped ones.</summary>
public static class KeyBias
{
    /// <summary><paramref name="keep"/> (N, L), true on kept keys → (N, 1, 1, L) of <paramref name="dtype"/>.</summary>
    public static Tensor FromKeep(Tensor keep, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(keep);
        if (keep.dim() != 2) throw new ArgumentException($"A key mask is (N, L); got [{string.Join(", ", keep.shape)}].", nameof(keep));
        long n = keep.shape[0], length = keep.shape[1];
        return torch.zeros(n, length, dtype: dtype, device: keep.device).masked_fill(keep.logical_not(), RootedScalars.MinusInfinity).view(n, 1, 1, length);
    }
}
