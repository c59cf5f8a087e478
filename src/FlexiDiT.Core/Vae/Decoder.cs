using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Vae;

/// <summary>diffusers' <c>Decoder</c>: conv_in → mid block → up blocks (widest first) → GroupNorm, SiLU, conv_out.</summary>
public sealed class Decoder : nn.Module
{
    private readonly Conv2d conv_in;
    private readonly UNetMidBlock2D mid_block;
    private readonly ModuleList<UpDecoderBlock2D> up_blocks = new();
    private readonly GroupNorm conv_norm_out;
    private readonly Conv2d conv_out;

    /// <summary>Creates the decoder described by <paramref name="config"/>.</summary>
    public Decoder(VaeConfig config) : base("decoder")
    {
        var widestFirst = config.BlockOutChannels.Reverse().ToArray();
        int groups = config.NormNumGroups;
        conv_in = nn.Conv2d(config.LatentChannels, widestFirst[0], kernel_size: 3, padding: 1);
        mid_block = new UNetMidBlock2D(widestFirst[0], groups, config.MidBlockAttention);
        int previous = widestFirst[0];
        for (int i = 0; i < widestFirst.Length; i++)
        {
            bool last = i == widestFirst.Length - 1;
            up_blocks.Add(new UpDecoderBlock2D(previous, widestFirst[i], config.LayersPerBlock + 1, groups, upsample: !last));
            previous = widestFirst[i];
        }
        conv_norm_out = VaeOps.Create(groups, widestFirst[^1]);
        conv_out = nn.Conv2d(widestFirst[^1], config.OutChannels, kernel_size: 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>(N, z, h, w) → (N, out, h·2^(levels-1), w·2^(levels-1)).</summary>
    public Tensor Forward(Tensor z) =>
        VaeOps.Chain(z, [conv_in.forward, mid_block.Forward, .. up_blocks.Select(b => (Func<Tensor, Tensor>)b.Forward), Output]);

    private Tensor Output(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        return conv_out.forward(F.silu(conv_norm_out.forward(x))).MoveToOuterDisposeScope();
    }
}
