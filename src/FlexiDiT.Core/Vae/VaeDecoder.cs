using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.Vae;

// The decoder half of Stable Diffusion's AutoencoderKL (ldm/modules/diffusionmodules/model.py Decoder, as
// diffusers' models/autoencoders/vae.py re-lays it out). Field names are diffusers' current state-dict
// names; VaeKeyNames translates the ldm and the older diffusers names onto them. Each class mirrors the
// diffusers class of the same name. Every block opens its own dispose scope: at full resolution one
// block's intermediates are hundreds of MB, and nothing else frees them before the GC runs.

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
