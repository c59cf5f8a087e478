using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>Pre-norm self-attention with a residual: <c>h + SelfAttention(layer_norm(h))</c>.</summary>
public sealed class T5LayerSelfAttention : nn.Module
{
    private readonly T5Attention SelfAttention;
    private readonly T5LayerNorm layer_norm;

    /// <summary>Creates the layer.</summary>
    public T5LayerSelfAttention(T5Config config, bool hasRelativeAttentionBias, ScalarType dtype = ScalarType.Float32) : base(nameof(T5LayerSelfAttention))
    {
        SelfAttention = new T5Attention(config, hasRelativeAttentionBias, dtype);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, dtype);
        RegisterComponents();
    }

    /// <summary>The attention layer, which block 0 asks for the position bias.</summary>
    public T5Attention Attention => SelfAttention;

    /// <summary>Applies the layer.</summary>
    public Tensor Forward(Tensor h, Tensor bias)
    {
        using var scope = torch.NewDisposeScope();
        return (h + SelfAttention.Forward(layer_norm.Forward(h), bias)).MoveToOuterDisposeScope();
    }
}
