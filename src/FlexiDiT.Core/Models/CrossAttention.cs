using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

/// <summary>
/// Multi-head cross-attention of image tokens to their caption's kept tokens (<c>MultiHeadCrossAttention</c>).
/// The official code flattens the batch into one sequence with a block-diagonal mask; attending per image over the
/// padded caption with an additive −∞ on dropped tokens computes the same softmax.
/// </summary>
public sealed class CrossAttention : nn.Module
{
    private readonly AdaptedLinear q_linear, kv_linear, proj;
    private readonly int heads;

    /// <summary>Creates the layer.</summary>
    public CrossAttention(int hidden, int heads) : base("cross_attn")
    {
        this.heads = heads;
        q_linear = new AdaptedLinear(hidden, hidden);
        kv_linear = new AdaptedLinear(hidden, hidden * 2);
        proj = new AdaptedLinear(hidden, hidden);
        RegisterComponents();
    }

    internal IEnumerable<AdaptedLinear> Linears => [q_linear, kv_linear, proj];

    /// <summary>x (N, T, D) attends to y (N, L, D); <paramref name="keyBias"/> (N, 1, 1, L) is 0 on kept tokens, −∞ on dropped ones.</summary>
    public Tensor Forward(Tensor x, Tensor y, Tensor keyBias, int patchSize)
    {
        long n = x.shape[0], tokens = x.shape[1], c = x.shape[2], length = y.shape[1], headDim = c / heads;
        var q = q_linear.Forward(x, patchSize).view(n, tokens, heads, headDim).transpose(1, 2);
        // kv_linear's outputs are [k | v], each split into heads (view(..., 2, heads, head_dim) in the official code).
        var kv = kv_linear.Forward(y, patchSize).view(n, length, 2, heads, headDim).permute(2, 0, 3, 1, 4);
        var attended = F.scaled_dot_product_attention(q, kv[0], kv[1], keyBias);
        return proj.Forward(attended.transpose(1, 2).reshape(n, tokens, c), patchSize);
    }
}
