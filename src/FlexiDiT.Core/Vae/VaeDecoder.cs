using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Vae;

// The decoder half of Stable Diffusion's AutoencoderKL (ldm/modules/diffusionmodules/model.py Decoder, as
// diffusers' models/autoencoders/vae.py re-lays it out). Field names are diffusers' current state-dict
// names; VaeKeyNames translates the ldm and the older diffusers names onto them. Each class mirrors the
// diffusers class of the same name. Every block opens its own dispose scope: at full resolution one
// block's intermediates are hundreds of MB, and nothing else frees them before the GC runs.

/// <summary>Shared pieces: SD's GroupNorm and running a chain of blocks without keeping its intermediates.</summary>
internal static class VaeOps
{
    public const double Eps = 1e-6;

    public static GroupNorm Create(int groups, int channels)
    {
        var norm = nn.GroupNorm(groups, channels, eps: Eps);
        // TorchSharp 0.107 allocates GroupNorm's affine parameters with torch.empty and never initialises them;
        // PyTorch starts them at ones and zeros. Without this a decoder that is not loaded computes garbage (NaN).
        using (torch.no_grad())
        {
            norm.weight.fill_(1);
            norm.bias!.zero_();
        }
        return norm;
    }

    /// <summary>Applies the steps in turn, disposing each intermediate (never <paramref name="input"/>, the caller's).</summary>
    public static Tensor Chain(Tensor input, IEnumerable<Func<Tensor, Tensor>> steps)
    {
        var x = input;
        foreach (var step in steps)
        {
            var next = step(x);
            if (!ReferenceEquals(x, input)) x.Dispose();
            x = next;
        }
        return x;
    }
}

/// <summary>norm → SiLU → 3×3 conv, twice, plus the input (through a 1×1 conv where the width changes).</summary>
public sealed class ResnetBlock2D : nn.Module
{
    private readonly GroupNorm norm1, norm2;
    private readonly Conv2d conv1, conv2;
    private readonly Conv2d? conv_shortcut;

    /// <summary>Creates the block; <paramref name="groups"/> is the GroupNorm group count.</summary>
    public ResnetBlock2D(int inChannels, int outChannels, int groups) : base("resnet")
    {
        norm1 = VaeOps.Create(groups, inChannels);
        conv1 = nn.Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1);
        norm2 = VaeOps.Create(groups, outChannels);
        conv2 = nn.Conv2d(outChannels, outChannels, kernel_size: 3, padding: 1);
        if (inChannels != outChannels) conv_shortcut = nn.Conv2d(inChannels, outChannels, kernel_size: 1);
        RegisterComponents();
    }

    /// <summary>x + conv2(silu(norm2(conv1(silu(norm1(x)))))).</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = conv1.forward(F.silu(norm1.forward(x)));
        h = conv2.forward(F.silu(norm2.forward(h)));
        var shortcut = conv_shortcut is null ? x : conv_shortcut.forward(x);
        return (shortcut + h).MoveToOuterDisposeScope();
    }
}

/// <summary>Single-head self-attention over all pixels, with a GroupNorm in front and a residual.</summary>
public sealed class VaeAttention : nn.Module
{
    private readonly GroupNorm group_norm;
    private readonly Linear to_q, to_k, to_v;
    private readonly ModuleList<Linear> to_out = new();

    /// <summary>Creates the layer for <paramref name="channels"/> channels (one head of that width).</summary>
    public VaeAttention(int channels, int groups) : base("attention")
    {
        group_norm = VaeOps.Create(groups, channels);
        to_q = nn.Linear(channels, channels);
        to_k = nn.Linear(channels, channels);
        to_v = nn.Linear(channels, channels);
        to_out.Add(nn.Linear(channels, channels));
        RegisterComponents();
    }

    /// <summary>x + out(softmax(q kᵀ / √C) v), the pixels of each image being the tokens.</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        var tokens = group_norm.forward(x).view(n, c, h * w).transpose(1, 2);
        // One head: (N, 1, HW, C); the default scale 1/√C is ldm's c^-0.5.
        var q = to_q.forward(tokens).unsqueeze(1);
        var k = to_k.forward(tokens).unsqueeze(1);
        var v = to_v.forward(tokens).unsqueeze(1);
        var attended = F.scaled_dot_product_attention(q, k, v).squeeze(1);
        var output = to_out[0].forward(attended).transpose(1, 2).reshape(n, c, h, w);
        return (output + x).MoveToOuterDisposeScope();
    }
}

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

/// <summary>Nearest-neighbour ×2 upsampling followed by a 3×3 conv.</summary>
public sealed class Upsample2D : nn.Module
{
    private readonly Conv2d conv;

    /// <summary>Creates the layer.</summary>
    public Upsample2D(int channels) : base("upsample")
    {
        conv = nn.Conv2d(channels, channels, kernel_size: 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>Doubles height and width.</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var up = F.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return conv.forward(up).MoveToOuterDisposeScope();
    }
}

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

/// <summary>
/// The VAE decoder as DiT uses it: <c>post_quant_conv</c> (1×1) then <see cref="Decoder"/>. Its state dict
/// has diffusers' names (<c>post_quant_conv.*</c>, <c>decoder.*</c>); load weights with <see cref="VaeCheckpoint"/>.
/// Latents go in unscaled; <see cref="LatentDecoder"/> applies the scale factor.
/// </summary>
public sealed class VaeDecoder : nn.Module
{
    private readonly Conv2d? post_quant_conv;
    private readonly Decoder decoder;

    /// <summary>Creates a decoder with PyTorch's default initialisation (load weights before use).</summary>
    public VaeDecoder(VaeConfig config) : base("vae")
    {
        config.Validate();
        Config = config;
        if (config.UsePostQuantConv) post_quant_conv = nn.Conv2d(config.LatentChannels, config.LatentChannels, kernel_size: 1);
        decoder = new Decoder(config);
        RegisterComponents();
    }

    /// <summary>The configuration the decoder was built from.</summary>
    public VaeConfig Config { get; }

    /// <summary><c>decoder(post_quant_conv(z))</c>: (N, latent, h, w) → (N, out, 8h, 8w) for SD, unclamped.</summary>
    public Tensor Forward(Tensor z)
    {
        if (z.dim() != 4 || z.shape[1] != Config.LatentChannels)
            throw new ArgumentException($"The VAE decoder takes latents (N, {Config.LatentChannels}, h, w); got [{string.Join(", ", z.shape)}].", nameof(z));
        return post_quant_conv is null ? decoder.Forward(z) : VaeOps.Chain(z, [post_quant_conv.forward, decoder.Forward]);
    }
}
