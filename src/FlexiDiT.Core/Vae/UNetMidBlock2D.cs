using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.Vae;

/// <summary>The bottleneck at latent resolution: resnet, attention, resnet.</summary>
public sealed class UNetMidBlock2D : nn.Module
{
    private readonly ModuleList<ResnetBlock2D> resnets = new();
    private readonly ModuleList<VaeAttention> attentions = new();

    /// <summary>Creates the block (without attention when <paramref name="attention"/> is false).</summary>
    public UNetMidBlock2D(int channels, int groups, bool attention) : base("mid_block")
    {
        resnets.Add(new ResnetBlock2D(channels, channels, groups));
        if (attention) attentions.Add(new VaeAttention(channels, groups));
        resnets.Add(new ResnetBlock2D(channels, channels, groups));
        RegisterComponents();
    }

    /// <summary>Applies the block.</summary>
    public Tensor Forward(Tensor x) =>
        VaeOps.Chain(x, [resnets[0].Forward, .. attentions.Select(a => (Func<Tensor, Tensor>)a.Forward), resnets[1].Forward]);
}
