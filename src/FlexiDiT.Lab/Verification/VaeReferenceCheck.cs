using FlexiDiT.Checkpoints;
using FlexiDiT.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Verification;

/// <summary>
/// Replays reference vectors of the original VAE code through a <see cref="VaeDecoder"/>: every group
/// <c>G</c> with <c>G.z</c> (latents, unscaled) and <c>G.out</c> = <c>decoder(post_quant_conv(G.z))</c>.
/// </summary>
public static class VaeReferenceCheck
{
    /// <summary>Relative tolerance: float32 round-off (max abs error over max |reference|).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Runs every group in <paramref name="vectorsPath"/>.</summary>
    public static IReadOnlyList<GroupError> Run(VaeDecoder decoder, string vectorsPath, double tolerance = Tolerance)
    {
        var vectors = SafetensorsFile.Read(vectorsPath);
        try
        {
            var groups = vectors.Keys.Where(k => k.EndsWith(".z", StringComparison.Ordinal)).Select(k => k[..^2]).OrderBy(g => g, StringComparer.Ordinal).ToList();
            if (groups.Count == 0)
                throw new InvalidDataException($"Reference vectors {vectorsPath} have no '<group>.z' latents (keys: {string.Join(", ", vectors.Keys.Take(8))}).");
            var results = new List<GroupError>();
            using var _ = torch.inference_mode();
            foreach (string group in groups)
            {
                if (!vectors.TryGetValue(group + ".out", out var expected))
                    throw new InvalidDataException($"Reference vectors {vectorsPath}: group '{group}' has latents but no '{group}.out'.");
                using var actual = decoder.Forward(vectors[group + ".z"]);
                if (!actual.shape.SequenceEqual(expected.shape))
                    throw new InvalidDataException($"Reference group '{group}': the decoder's output [{string.Join(", ", actual.shape)}] differs in shape from the reference [{string.Join(", ", expected.shape)}]; is the config right?");
                double maxAbs = (actual.to(float64) - expected.to(float64)).abs().max().item<double>();
                double scale = expected.to(float64).abs().max().item<double>();
                results.Add(new GroupError(group, maxAbs, maxAbs / Math.Max(scale, 1e-12), tolerance));
            }
            return results;
        }
        finally
        {
            foreach (var t in vectors.Values) t.Dispose();
        }
    }
}
