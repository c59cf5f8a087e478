using FlexiDiT.Models;

namespace FlexiDiT.Flops;

/// <summary>
/// Exact multiply-add counts of a DiT forward: every matrix product (patch embedding, timestep MLP,
/// adaLN, qkv, attention scores and values, projection, MLP, LoRA adapters, de-embedding). Element-wise
/// work (norms, softmax, activations) is not counted, as in the DiT paper. <see cref="Flops"/> uses
/// 2 FLOPs per multiply-add; the DiT paper's "Gflops" are <see cref="MultiplyAdds"/> (DiT-XL/2 at 256²: 118.6 G).
/// </summary>
public static class FlopCounter
{
    /// <summary>Multiply-adds of one forward of <paramref name="batch"/> images at <paramref name="patchSize"/>.</summary>
    public static long MultiplyAdds(DiTConfig config, int patchSize, long batch = 1)
    {
        long d = config.HiddenSize, c = config.InChannels, p = patchSize;
        long tokens = (long)(config.InputSize / patchSize) * (config.InputSize / patchSize);
        long embed = tokens * c * p * p * d;
        long timestep = TimestepMlp(d);
        long perBlock = d * 6 * d                     // adaLN modulation
            + tokens * d * 3 * d                      // qkv
            + 2 * tokens * tokens * d                 // q·kᵀ and attention·v
            + tokens * d * d                          // projection
            + 2 * tokens * d * config.MlpHidden;      // fc1, fc2
        bool weak = patchSize != config.PatchSize;
        if (weak && config.FlexiLoraRank > 0)
        {
            long r = config.FlexiLoraRank;
            perBlock += tokens * r * ((d + 3 * d) + (d + d) + (d + config.MlpHidden) + (config.MlpHidden + d));
        }
        long final = d * 2 * d + tokens * d * p * p * config.OutChannels;
        return batch * (embed + timestep + config.Depth * perBlock + final);
    }

    /// <summary>FLOPs (2 per multiply-add) of one forward.</summary>
    public static long Flops(DiTConfig config, int patchSize, long batch = 1) => 2 * MultiplyAdds(config, patchSize, batch);

    private static long TimestepMlp(long d) => Models.TimestepEmbedder.FrequencySize * d + d * d;
}
