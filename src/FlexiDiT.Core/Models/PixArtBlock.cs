using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>A PixArt block: adaLN-single modulated self-attention, un-gated cross-attention, modulated MLP.</summary>
public sealed class PixArtBlock : nn.Module
{
    private readonly Attention attn;
    private readonly CrossAttention cross_attn;
    private readonly Mlp mlp;
    private readonly Parameter scale_shift_table;

    /// <summary>Creates the block.</summary>
    public PixArtBlock(int hidden, int heads, int mlpHidden) : base("block")
    {
        attn = new Attention(hidden, heads);
        cross_attn = new CrossAttention(hidden, heads);
        mlp = new Mlp(hidden, mlpHidden);
        scale_shift_table = nn.Parameter(torch.zeros(6, hidden));
        RegisterComponents();
    }

    internal IEnumerable<AdaptedLinear> Linears => attn.Linears.Concat(cross_attn.Linears).Concat(mlp.Linears);

    /// <summary>The block on tokens x (N, T, D) with caption y (N, L, D) and the shared modulation t0 (N, 6D).</summary>
    public Tensor Forward(Tensor x, Tensor y, Tensor keyBias, Tensor t0, int patchSize)
    {
        // (scale_shift_table[None] + t0.reshape(N, 6, D)).chunk(6, dim=1): each (N, 1, D).
        var m = (scale_shift_table.unsqueeze(0) + t0.view(t0.shape[0], 6, -1)).chunk(6, dim: 1);
        x = x + m[2] * attn.Forward(Modulate(AdaLN.Norm(x), m[0], m[1]), patchSize);
        x = x + cross_attn.Forward(x, y, keyBias, patchSize);
        return x + m[5] * mlp.Forward(Modulate(AdaLN.Norm(x), m[3], m[4]), patchSize);
    }

    /// <summary><c>t2i_modulate</c>: x·(1 + scale) + shift with (N, 1, D) shift and scale.</summary>
    internal static Tensor Modulate(Tensor x, Tensor shift, Tensor scale) => torch.addcmul(shift, x, scale + 1, 1);
}
