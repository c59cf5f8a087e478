using FlexiDiT.Profiling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

/// <summary>x * (1 + scale) + shift, broadcast over tokens (models.py <c>modulate</c>); shift and scale are (N, D) or (N, 1, D).</summary>
internal static class AdaLN
{
    public static Tensor Modulate(Tensor x, Tensor shift, Tensor scale)
    {
        using var timing = OpProfiler.Measure(ForwardOp.Modulate);
        return shift.dim() == 2 ? torch.addcmul(shift.unsqueeze(1), x, scale.unsqueeze(1) + 1, 1) : torch.addcmul(shift, x, scale + 1, 1);
    }

    /// <summary>
    /// <paramref name="layer"/> applied to a few condition vectors (N, D_in) → (N, D_out), computed as (W cᵀ + b)ᵀ. The same
    /// product as c·Wᵀ + b, but MKL (libtorch's BLAS) takes a slow path for that form when c has few rows, at least on AMD
    /// CPUs: twelve DiT-S adaLN products (2 rows, 384 → 2304, distinct weights, 2 threads) took 19–41 ms as c·Wᵀ, 1.3 ms as W·cᵀ.
    /// </summary>
    public static Tensor ConditionLinear(Tensor c, Linear layer)
    {
        var product = layer.bias is { } bias ? torch.addmm(bias.unsqueeze(1), layer.weight!, c.t(), 1, 1) : torch.mm(layer.weight!, c.t());
        return product.t().contiguous();
    }

    /// <summary>
    /// modulate(norm(x), shift, scale). With <paramref name="inPlace"/> (only without autograd) the norm's own output is
    /// modulated in place, as normed + normed·scale + shift: no allocation beyond the norm's.
    /// </summary>
    public static Tensor NormModulate(Tensor x, Tensor shift, Tensor scale, bool inPlace)
    {
        var normed = Norm(x);
        if (!inPlace) return Modulate(normed, shift, scale);
        using var timing = OpProfiler.Measure(ForwardOp.Modulate);
        return shift.dim() == 2 ? normed.addcmul_(normed, scale.unsqueeze(1), 1).add_(shift.unsqueeze(1)) : normed.addcmul_(normed, scale, 1).add_(shift);
    }

    public static Tensor Norm(Tensor x)
    {
        using var timing = OpProfiler.Measure(ForwardOp.Norm);
        return F.layer_norm(x, [x.shape[^1]], null, null, 1e-6);
    }
}
