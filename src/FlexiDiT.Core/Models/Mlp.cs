using FlexiDiT.Profiling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

/// <summary>fc1 → GELU (tanh approximation) → fc2.</summary>
public sealed class Mlp : nn.Module
{
    private readonly AdaptedLinear fc1, fc2;

    /// <summary>Creates the MLP.</summary>
    public Mlp(int hidden, int inner) : base("mlp")
    {
        fc1 = new AdaptedLinear(hidden, inner);
        fc2 = new AdaptedLinear(inner, hidden);
        RegisterComponents();
    }

    internal IEnumerable<AdaptedLinear> Linears => [fc1, fc2];

    /// <summary>Applies the MLP.</summary>
    public Tensor Forward(Tensor x, int patchSize)
    {
        Tensor hidden;
        using (OpProfiler.Measure(ForwardOp.MlpFc1)) hidden = fc1.Forward(x, patchSize);
        // Without autograd GELU overwrites fc1's output: one large allocation (and its page faults) less per block.
        using (OpProfiler.Measure(ForwardOp.Gelu)) hidden = torch.is_grad_enabled() ? F.gelu(hidden, GELU.Approximate.tanh) : hidden.gelu_(GELU.Approximate.tanh);
        using var timing = OpProfiler.Measure(ForwardOp.MlpFc2);
        return fc2.Forward(hidden, patchSize);
    }
}
