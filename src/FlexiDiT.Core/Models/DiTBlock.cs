using FlexiDiT.Profiling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

/// <summary>A DiT block with adaptive layer norm zero (adaLN-Zero) conditioning.</summary>
public sealed class DiTBlock : nn.Module
{
    private readonly Attention attn;
    private readonly Mlp mlp;
    private readonly Sequential adaLN_modulation;

    /// <summary>Creates the block.</summary>
    public DiTBlock(int hidden, int heads, int mlpHidden) : base("block")
    {
        attn = new Attention(hidden, heads);
        mlp = new Mlp(hidden, mlpHidden);
        adaLN_modulation = nn.Sequential(("0", nn.SiLU()), ("1", nn.Linear(hidden, 6 * hidden)));
        RegisterComponents();
    }

    internal IEnumerable<AdaptedLinear> Linears => attn.Linears.Concat(mlp.Linears);

    /// <summary>x += gate·attn(modulate(norm(x))); x += gate·mlp(modulate(norm(x))).</summary>
    public Tensor Forward(Tensor x, Tensor c, int patchSize) => ForwardActivated(x, F.silu(c), patchSize, inPlace: false);

    /// <summary>
    /// The block on SiLU(c), which all blocks share (the model computes it once). With <paramref name="inPlace"/> the
    /// residual updates are written into <paramref name="x"/>: only without autograd, where nothing saved x for a backward.
    /// </summary>
    internal Tensor ForwardActivated(Tensor x, Tensor activatedCondition, int patchSize, bool inPlace)
    {
        Tensor[] m;
        using (OpProfiler.Measure(ForwardOp.AdaLnModulation)) m = AdaLN.ConditionLinear(activatedCondition, (Linear)adaLN_modulation[1]).unsqueeze(1).chunk(6, dim: 2);
        var (shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp) = (m[0], m[1], m[2], m[3], m[4], m[5]);
        var attended = attn.Forward(AdaLN.NormModulate(x, shiftMsa, scaleMsa, inPlace), patchSize);
        x = GatedResidual(x, gateMsa, attended, inPlace);
        var mlpOut = mlp.Forward(AdaLN.NormModulate(x, shiftMlp, scaleMlp, inPlace), patchSize);
        return GatedResidual(x, gateMlp, mlpOut, inPlace);
    }

    private static Tensor GatedResidual(Tensor x, Tensor gate, Tensor update, bool inPlace)
    {
        using var timing = OpProfiler.Measure(ForwardOp.GateResidual);
        return inPlace ? x.addcmul_(gate, update, 1) : torch.addcmul(x, gate, update, 1);
    }
}
