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

    /// <summary>
    /// How many keys each row keeps, where every row keeps a prefix (a tokenizer's padding mask: the first tokens, then
    /// padding); null where some row keeps anything else.
    /// </summary>
    /// <param name="bias">(N, 1, 1, L) or (N, L): 0 on kept keys, −∞ on dropped ones.</param>
    public static int[]? KeptPrefix(Tensor bias)
    {
        ArgumentNullException.ThrowIfNull(bias);
        using var scope = torch.NewDisposeScope();
        var keep = bias.reshape(bias.shape[0], bias.shape[^1]).isfinite();
        var counts = keep.sum(1);
        var prefix = torch.arange(keep.shape[1], device: keep.device).unsqueeze(0) < counts.unsqueeze(1);
        return keep.eq(prefix).all().item<bool>() ? counts.to(ScalarType.Int32).cpu().data<int>().ToArray() : null;
    }
}
