using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Vae;

/// <summary>
/// Turns DiT samples into images, as DiT's <c>sample.py</c> does: <c>vae.decode(latents / scale)</c>,
/// clamped to [-1, 1]. The scale is the VAE's (0.18215 for sd-vae-ft-mse / -ema) unless overridden.
/// </summary>
public sealed class LatentDecoder : IDisposable
{
    private readonly bool ownsVae;

    /// <summary>Wraps <paramref name="vae"/>; <paramref name="scaleFactor"/> defaults to the config's scaling factor.</summary>
    public LatentDecoder(VaeDecoder vae, double? scaleFactor = null, bool ownsVae = false)
    {
        double scale = scaleFactor ?? vae.Config.ScalingFactor;
        if (!(scale > 0) || !double.IsFinite(scale))
            throw new ArgumentOutOfRangeException(nameof(scaleFactor), scale, "The latent scale factor must be a positive number (SD VAEs: 0.18215).");
        Vae = vae;
        ScaleFactor = scale;
        this.ownsVae = ownsVae;
    }

    /// <summary>The decoder.</summary>
    public VaeDecoder Vae { get; }

    /// <summary>Latents are divided by this before decoding.</summary>
    public double ScaleFactor { get; }

    /// <summary>
    /// Loads a VAE (see <see cref="VaeCheckpoint"/>), first checking with <see cref="VaeMemoryEstimate"/> that
    /// decoding <paramref name="batchSize"/> latents of side <paramref name="latentSize"/> fits in memory.
    /// </summary>
    public static LatentDecoder Load(string weightsPath, string? configPath = null, double? scaleFactor = null, Device? device = null,
        int batchSize = 1, int latentSize = 32, bool checkMemory = true)
    {
        if (checkMemory && (device is null || device.type == DeviceType.CPU))
            VaeMemoryEstimate.ForCheckpoint(weightsPath, batchSize, latentSize).EnsureFits();
        return new LatentDecoder(VaeCheckpoint.Load(weightsPath, configPath, device), scaleFactor, ownsVae: true);
    }

    /// <summary>
    /// (N, latent, h, w) → (N, out, h·f, w·f) images in [-1, 1] (f = 8 for SD), decoded
    /// <paramref name="microBatch"/> latents at a time to bound memory (default: all at once).
    /// </summary>
    public Tensor Decode(Tensor latents, int? microBatch = null)
    {
        var config = Vae.Config;
        if (latents.dim() != 4 || latents.shape[1] != config.LatentChannels)
            throw new ArgumentException($"Latents must be (N, {config.LatentChannels}, h, w); got [{string.Join(", ", latents.shape)}].", nameof(latents));
        if (microBatch is <= 0) throw new ArgumentOutOfRangeException(nameof(microBatch), microBatch, "The micro-batch must be positive.");
        using var _ = torch.inference_mode();
        var device = Vae.parameters().First().device;
        long n = latents.shape[0], chunk = microBatch ?? Math.Max(n, 1);
        var images = new List<Tensor>();
        for (long start = 0; start < n; start += chunk)
        {
            using var scope = torch.NewDisposeScope();
            var z = latents.narrow(0, start, Math.Min(chunk, n - start)).to(float32).to(device) / ScaleFactor;
            images.Add(Vae.Forward(z).clamp_(-1, 1).MoveToOuterDisposeScope());
        }
        if (images.Count == 1) return images[0];
        var all = torch.cat(images, 0);
        foreach (var t in images) t.Dispose();
        return all;
    }

    /// <summary>
    /// Images in [-1, 1] (N, C, H, W) → bytes (N, H, W, C), rounded as torchvision's <c>save_image</c>
    /// with <c>normalize=True, value_range=(-1, 1)</c> does.
    /// </summary>
    public static Tensor ToBytes(Tensor images)
    {
        using var scope = torch.NewDisposeScope();
        var pixels = images.add(1).div_(2).clamp_(0, 1).mul_(255).add_(0.5).clamp_(0, 255).to(ScalarType.Byte);
        return pixels.permute(0, 2, 3, 1).contiguous().MoveToOuterDisposeScope();
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        if (ownsVae) Vae.Dispose();
    }
}
