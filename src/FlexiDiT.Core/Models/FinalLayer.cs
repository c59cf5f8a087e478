using FlexiDiT.Profiling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

/// <summary>The last layer: adaLN modulation, then a linear map of each token to a p×p×C_out patch.</summary>
public sealed class FinalLayer : nn.Module
{
    private readonly Linear linear;
    private readonly Sequential adaLN_modulation;

    /// <summary>Creates the layer.</summary>
    public FinalLayer(int hidden, int patch, int outChannels) : base("final_layer")
    {
        linear = nn.Linear(hidden, patch * patch * outChannels);
        adaLN_modulation = nn.Sequential(("0", nn.SiLU()), ("1", nn.Linear(hidden, 2 * hidden)));
        RegisterComponents();
    }

    /// <summary>The de-embedding of the original patch size.</summary>
    public Linear Linear => linear;

    /// <summary>modulate(norm(x)) → de-embedding (the original one, or a weak patch size's).</summary>
    public Tensor Forward(Tensor x, Tensor c, Linear deEmbedding)
    {
        Tensor[] m;
        using (OpProfiler.Measure(ForwardOp.AdaLnModulation)) m = AdaLN.ConditionLinear(F.silu(c), (Linear)adaLN_modulation[1]).chunk(2, dim: 1);
        var modulated = AdaLN.NormModulate(x, m[0], m[1], inPlace: !torch.is_grad_enabled());
        using var timing = OpProfiler.Measure(ForwardOp.FinalLinear);
        return deEmbedding.forward(modulated);
    }
}
