using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>Pre-norm feed-forward with a residual: <c>h + DenseReluDense(layer_norm(h))</c> (Hugging Face keeps the v1.0 name).</summary>
public sealed class T5LayerFF : nn.Module
{
    private readonly T5DenseGatedActDense DenseReluDense;
    private readonly T5LayerNorm layer_norm;

    /// <summary>Creates the layer.</summary>
    public T5LayerFF(T5Config config, ScalarType dtype = ScalarType.Float32) : base(nameof(T5LayerFF))
    {
        DenseReluDense = new T5DenseGatedActDense(config, dtype);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, dtype);
        RegisterComponents();
    }

    /// <summary>Applies the layer.</summary>
    public Tensor Forward(Tensor h)
    {
        using var scope = torch.NewDisposeScope();
        return (h + DenseReluDense.Forward(layer_norm.Forward(h))).MoveToOuterDisposeScope();
    }
}
