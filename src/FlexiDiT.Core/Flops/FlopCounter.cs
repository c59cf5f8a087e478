using FlexiDiT.Models;

namespace FlexiDiT.Flops;

/// <summary>
/// Exact multiply-add counts of a DiT forward: every matrix product (patch embedding, timestep MLP,
/// adaLN, qkv, attention scores and values, projection, MLP, LoRA adapters, de-embedding). Element-wise
/// work (norms, softmax, activations) is not counted, as in the DiT paper. <see cref="Flops(DiTConfig, int, long)"/> uses
/// 2 FLOPs per multiply-add; the DiT paper's "Gflops" are <see cref="MultiplyAdds(DiTConfig, int, long)"/> (DiT-XL/2 at 256²: 118.6 G).
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

    /// <summary>
    /// Multiply-adds of one PixArt-α forward with <paramref name="captionTokens"/> caption tokens (default: all
    /// <c>model_max_length</c>): patch embedding, timestep MLP and <c>t_block</c>, caption projection (and pooled-caption MLP), per block
    /// self-attention, cross-attention (q, kv of the caption, scores, values, projection) and MLP, LoRA adapters at weak
    /// sizes, de-embedding. The text encoder that makes the captions is not counted (it runs once per prompt).
    /// </summary>
    public static long MultiplyAdds(PixArtConfig config, int patchSize, long batch = 1, int? captionTokens = null)
    {
        long d = config.HiddenSize, c = config.InChannels, p = patchSize, mlp = config.MlpHidden;
        long l = captionTokens ?? config.ModelMaxLength;
        long tokens = (long)(config.InputSize / patchSize) * (config.InputSize / patchSize);
        long embed = tokens * c * p * p * d;
        long timestep = TimestepMlp(d) + d * 6 * d;                // t_embedder, t_block
        long pooled = config.PooledCaption ? config.CaptionChannels * d + d * d : 0; // y_pool_embedder fc1, fc2
        long selfAttention = tokens * d * 3 * d + 2 * tokens * tokens * d + tokens * d * d;
        long crossAttention = tokens * d * d + 2 * tokens * l * d + tokens * d * d; // q, scores, values, projection
        long perBlock = selfAttention + crossAttention + 2 * tokens * d * mlp;
        if (patchSize != config.PatchSize && config.FlexiLoraRank > 0)
        {
            long r = config.FlexiLoraRank;
            perBlock += r * (tokens * ((d + 3 * d) + (d + d))          // qkv, proj
                + tokens * (d + d) + tokens * (d + d)                   // q_linear, proj
                + tokens * ((d + mlp) + (mlp + d)));                    // fc1, fc2
        }
        long final = tokens * d * p * p * config.OutChannels;
        return (batch * (embed + timestep + pooled + config.Depth * perBlock + final)) + CaptionMultiplyAdds(config, patchSize, batch, captionTokens);
    }

    /// <summary>
    /// The multiply-adds of <see cref="MultiplyAdds(PixArtConfig, int, long, int?)"/> that depend on the caption and the
    /// patch size only: the caption projection and every block's cross-attention keys and values (with their LoRA adapters
    /// at weak sizes). A sampling run computes them once per caption and patch size and keeps them for its other steps.
    /// </summary>
    public static long CaptionMultiplyAdds(PixArtConfig config, int patchSize, long batch = 1, int? captionTokens = null)
    {
        long d = config.HiddenSize, l = captionTokens ?? config.ModelMaxLength;
        long projection = l * (config.CaptionChannels * d + d * d); // y_proj fc1, fc2
        long keysValues = l * d * 2 * d;
        if (patchSize != config.PatchSize && config.FlexiLoraRank > 0) keysValues += config.FlexiLoraRank * l * (d + 2 * d);
        return batch * (projection + config.Depth * keysValues);
    }

    /// <summary>FLOPs (2 per multiply-add) of one PixArt-α forward.</summary>
    public static long Flops(PixArtConfig config, int patchSize, long batch = 1, int? captionTokens = null) =>
        2 * MultiplyAdds(config, patchSize, batch, captionTokens);

    /// <summary>
    /// Multiply-adds of a T5 v1.1 encoder over <paramref name="tokens"/> tokens (PixArt-α's text encoder, run once per
    /// prompt, not per step): per layer q, k, v, o, the gated feed-forward (wi_0, wi_1, wo), attention scores and values.
    /// T5-XXL: d_model 4096, 64 heads × 64, d_ff 10240, 24 layers.
    /// </summary>
    public static long T5EncoderMultiplyAdds(int dModel, int heads, int dKv, int dFf, int layers, int tokens)
    {
        long inner = (long)heads * dKv, l = tokens;
        long perLayer = l * 4 * dModel * inner + l * 3 * dModel * dFf + 2 * l * l * inner;
        return layers * perLayer;
    }

    private static long TimestepMlp(long d) => Models.TimestepEmbedder.FrequencySize * d + d * d;
}
