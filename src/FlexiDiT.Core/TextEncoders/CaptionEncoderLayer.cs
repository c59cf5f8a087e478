using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.TextEncoders;

/// <summary>
/// A pre-norm transformer encoder layer over caption tokens: self-attention that ignores padding (an additive −∞ on
/// padded keys, as PixArt's cross-attention), then a GELU MLP, both residual.
/// </summary>
public sealed class CaptionEncoderLayer : nn.Module
{
    private readonly LayerNorm norm1, norm2;
    private readonly Linear qkv, proj, fc1, fc2;
    private readonly int heads;

    /// <summary>Creates the layer.</summary>
    public CaptionEncoderLayer(int width, int heads) : base("layer")
    {
        if (heads <= 0 || width % heads != 0) throw new ArgumentException($"The caption encoder's {heads} heads must divide its width {width}.", nameof(heads));
        this.heads = heads;
        norm1 = nn.LayerNorm(width);
        qkv = nn.Linear(width, 3 * width);
        proj = nn.Linear(width, width);
        norm2 = nn.LayerNorm(width);
        fc1 = nn.Linear(width, 4 * width);
        fc2 = nn.Linear(4 * width, width);
        RegisterComponents();
    }

    /// <summary>x (N, L, C) with <paramref name="keyBias"/> (N, 1, 1, L): 0 on kept tokens, −∞ on padding.</summary>
    public Tensor Forward(Tensor x, Tensor keyBias)
    {
        long n = x.shape[0], length = x.shape[1], c = x.shape[2];
        var h = qkv.forward(norm1.forward(x)).view(n, length, 3, heads, c / heads).permute(2, 0, 3, 1, 4);
        var attended = F.scaled_dot_product_attention(h[0], h[1], h[2], keyBias);
        x = x + proj.forward(attended.transpose(1, 2).reshape(n, length, c));
        return x + fc2.forward(F.gelu(fc1.forward(norm2.forward(x)), GELU.Approximate.tanh));
    }
}
