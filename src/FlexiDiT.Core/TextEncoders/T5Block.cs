using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>One encoder block: <c>layer.0</c> self-attention, then <c>layer.1</c> feed-forward.</summary>
public sealed class T5Block : nn.Module
{
    private readonly ModuleList<nn.Module> layer = new();

    /// <summary>Creates the block; only block 0 has <paramref name="hasRelativeAttentionBias"/>.</summary>
    public T5Block(T5Config config, bool hasRelativeAttentionBias, ScalarType dtype = ScalarType.Float32) : base(nameof(T5Block))
    {
        layer.Add(new T5LayerSelfAttention(config, hasRelativeAttentionBias, dtype));
        layer.Add(new T5LayerFF(config, dtype));
        RegisterComponents();
    }

    /// <summary>The self-attention layer.</summary>
    public T5LayerSelfAttention SelfAttentionLayer => (T5LayerSelfAttention)layer[0];

    /// <summary>Applies the block.</summary>
    public Tensor Forward(Tensor h, Tensor bias)
    {
        using var scope = torch.NewDisposeScope();
        return ((T5LayerFF)layer[1]).Forward(SelfAttentionLayer.Forward(h, bias)).MoveToOuterDisposeScope();
    }
}
