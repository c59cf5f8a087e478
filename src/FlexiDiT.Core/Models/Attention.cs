using FlexiDiT.Profiling;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

/// <summary>Multi-head self-attention (timm's Attention as DiT uses it), via scaled-dot-product attention.</summary>
public sealed class Attention : nn.Module
{
    private readonly AdaptedLinear qkv, proj;
    private readonly int heads;

    /// <summary>Creates the layer.</summary>
    public Attention(int hidden, int heads) : base("attn")
    {
        this.heads = heads;
        qkv = new AdaptedLinear(hidden, hidden * 3);
        proj = new AdaptedLinear(hidden, hidden);
        RegisterComponents();
    }

    internal IEnumerable<AdaptedLinear> Linears => [qkv, proj];

    /// <summary>softmax(q kᵀ / √d) v over all tokens.</summary>
    public Tensor Forward(Tensor x, int patchSize)
    {
        long n = x.shape[0], tokens = x.shape[1], c = x.shape[2];
        Tensor[] qkvHeads;
        using (OpProfiler.Measure(ForwardOp.QkvLinear))
        {
            // One unbind of a permuted view: q, k and v stay strided views of the fused product, no copies.
            qkvHeads = qkv.Forward(x, patchSize).view(n, tokens, 3, heads, c / heads).permute(2, 0, 3, 1, 4).unbind(0);
        }
        var (q, k, v) = (qkvHeads[0], qkvHeads[1], qkvHeads[2]);
        Tensor attended;
        using (OpProfiler.Measure(ForwardOp.AttentionCore))
        {
            // timm's Attention (which the official DiT uses) has the same two paths. On CPU, libtorch's fused
            // kernel is the faster one in float32 but about twice as slow as the plain products in bfloat16.
            attended = x.dtype == ScalarType.BFloat16 && x.device.type == DeviceType.CPU
                ? torch.matmul(torch.softmax(torch.matmul(q, k.transpose(-2, -1)) / Math.Sqrt(c / heads), -1), v)
                : F.scaled_dot_product_attention(q, k, v);
        }
        using var timing = OpProfiler.Measure(ForwardOp.AttentionProj);
        return proj.Forward(attended.transpose(1, 2).reshape(n, tokens, c), patchSize);
    }
}
