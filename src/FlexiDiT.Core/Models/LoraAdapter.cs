using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

/// <summary>A low-rank update W + B·A (no alpha/r scaling: the rank is fixed per model, so the learning rate absorbs it), active for one weak patch size.</summary>
public sealed class LoraAdapter : nn.Module
{
    private readonly Parameter A;
    private readonly Parameter B;

    /// <summary>Creates an adapter whose update is zero until trained (B starts at zero).</summary>
    public LoraAdapter(long inFeatures, long outFeatures, int rank) : base("lora")
    {
        A = nn.Parameter(torch.randn(rank, inFeatures) / Math.Sqrt(inFeatures));
        B = nn.Parameter(torch.zeros(outFeatures, rank));
        RegisterComponents();
    }

    /// <summary>The adapter's contribution for input x.</summary>
    public Tensor Delta(Tensor x) => F.linear(F.linear(x, A), B);
}
