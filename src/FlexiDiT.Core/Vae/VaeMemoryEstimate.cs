using FlexiDiT.Checkpoints;

namespace FlexiDiT.Vae;

/// <summary>
/// The <see cref="MemoryEstimate"/> of a VAE checkpoint (any naming <see cref="VaeKeyNames"/> knows, inside a
/// whole Stable Diffusion checkpoint too): its decoder's weights and one decode's activations.
/// </summary>
public static class VaeMemoryEstimate
{
    /// <summary>Estimates the checkpoint at <paramref name="path"/> from its header alone; a file that is not a VAE counts its weights only.</summary>
    /// <param name="path">A <c>.safetensors</c> file or a <c>torch.save</c> zip (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.ckpt</c>).</param>
    /// <param name="batchSize">Latents decoded at once.</param>
    /// <param name="latentSize">Latent side length (32: 256-pixel images).</param>
    public static MemoryEstimate ForCheckpoint(string path, int batchSize = 1, int latentSize = 32) =>
        MemoryEstimate.ForCheckpoint(path, batchSize, (shapes, readsEverything, name) => Recognise(shapes, batchSize, latentSize, name, readsEverything));

    /// <summary>
    /// Live floats of one VAE decode per latent of side <paramref name="latentSize"/>: at each level, 4 buffers
    /// (input, norm, conv output, residual) of the widest tensor there (the upsampled one included), the largest
    /// level counting; at latent resolution also the mid attention's two (h·w)² score matrices.
    /// </summary>
    public static long ActivationFloats(VaeConfig config, int latentSize)
    {
        ArgumentNullException.ThrowIfNull(config);
        long side = latentSize, pixels = side * side;
        var widestFirst = config.BlockOutChannels.Reverse().ToArray();
        long peak = 4L * widestFirst[0] * pixels + (config.MidBlockAttention ? 2 * pixels * pixels : 0);
        int previous = widestFirst[0];
        for (int i = 0; i < widestFirst.Length; i++, side *= 2)
        {
            long here = Math.Max(previous, widestFirst[i]) * side * side;
            long upsampled = i < widestFirst.Length - 1 ? widestFirst[i] * (2 * side) * (2 * side) : 0;
            peak = Math.Max(peak, 4 * Math.Max(here, upsampled));
            previous = widestFirst[i];
        }
        return peak;
    }

    private static MemoryEstimate? Recognise(IReadOnlyDictionary<string, long[]> shapes, int batchSize, int latentSize, string fallbackName, bool readerLoadsEverything)
    {
        if (VaeKeyNames.FindPrefix(shapes.Keys) is not string prefix || VaeKeyNames.Detect(shapes.Keys, prefix) is null) return null;
        long all = MemoryEstimate.FloatBytes(shapes.Values);
        long decoder = MemoryEstimate.FloatBytes(shapes.Where(kv => kv.Key.StartsWith(prefix + "decoder.", StringComparison.Ordinal)
            || kv.Key.StartsWith(prefix + "post_quant_conv.", StringComparison.Ordinal)).Select(kv => kv.Value));
        VaeConfig config;
        try
        {
            config = VaeCheckpoint.InferConfig(shapes, fallbackName);
        }
        catch (InvalidDataException)
        {
            return new MemoryEstimate("VAE decoder", readerLoadsEverything ? all : decoder, decoder, 0, batchSize);
        }
        long activations = checked(ActivationFloats(config, latentSize) * batchSize * 4);
        string name = config.BlockOutChannels.SequenceEqual(VaeConfig.StableDiffusion.BlockOutChannels) ? "Stable Diffusion VAE" : "VAE decoder";
        return new MemoryEstimate(name, readerLoadsEverything ? all : decoder, decoder, activations, batchSize);
    }
}
