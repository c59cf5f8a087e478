using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.Vae;

/// <summary>One resolution level of the decoder: <c>layers_per_block + 1</c> resnets, then (except last) an upsample.</summary>
public sealed class UpDecoderBlock2D : nn.Module
{
    private readonly ModuleList<ResnetBlock2D> resnets = new();
    private readonly ModuleList<Upsample2D> upsamplers = new();

    /// <summary>Creates the level, taking <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public UpDecoderBlock2D(int inChannels, int outChannels, int resnetCount, int groups, bool upsample) : base("up_block")
    {
        for (int i = 0; i < resnetCount; i++) resnets.Add(new ResnetBlock2D(i == 0 ? inChannels : outChannels, outChannels, groups));
        if (upsample) upsamplers.Add(new Upsample2D(outChannels));
        RegisterComponents();
    }

    /// <summary>Applies the level.</summary>
    public Tensor Forward(Tensor x) =>
        VaeOps.Chain(x, resnets.Select(r => (Func<Tensor, Tensor>)r.Forward).Concat(upsamplers.Select(u => (Func<Tensor, Tensor>)u.Forward)));
}
