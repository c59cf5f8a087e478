using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.TextEncoders;

/// <summary>T5 v1.1's gated feed-forward: <c>wo(gelu_new(wi_0 x) · wi_1 x)</c>, gelu_new being GELU's tanh approximation.</summary>
public sealed class T5DenseGatedActDense : nn.Module
{
    private readonly Linear wi_0, wi_1, wo;

    /// <summary>Creates the layer.</summary>
    public T5DenseGatedActDense(T5Config config, ScalarType dtype = ScalarType.Float32) : base(nameof(T5DenseGatedActDense))
    {
        wi_0 = T5Layers.Linear(config.DModel, config.DFf, dtype);
        wi_1 = T5Layers.Linear(config.DModel, config.DFf, dtype);
        wo = T5Layers.Linear(config.DFf, config.DModel, dtype);
        RegisterComponents();
    }

    /// <summary>Applies the layer.</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var gate = F.gelu(wi_0.forward(x), GELU.Approximate.tanh);
        return wo.forward(gate * wi_1.forward(x)).MoveToOuterDisposeScope();
    }
}
