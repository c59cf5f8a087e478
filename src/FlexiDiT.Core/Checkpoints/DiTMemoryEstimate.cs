using FlexiDiT.Models;

namespace FlexiDiT.Checkpoints;

/// <summary>
/// The <see cref="MemoryEstimate"/> of a DiT checkpoint (official names, recognised by its patch embedding),
/// its activations included.
/// </summary>
public static class DiTMemoryEstimate
{
    private const string PatchEmbedding = "x_embedder.proj.weight";

    /// <summary>Estimates the checkpoint at <paramref name="path"/> from its header alone; a file that is not a DiT counts its weights only.</summary>
    /// <param name="path">A <c>.safetensors</c> file or a <c>torch.save</c> zip (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.ckpt</c>).</param>
    /// <param name="batchSize">Forward batch for the activations.</param>
    /// <param name="latentSize">Latent side length; default: from the checkpoint's position table.</param>
    public static MemoryEstimate ForCheckpoint(string path, int batchSize = 1, int? latentSize = null) =>
        MemoryEstimate.ForCheckpoint(path, batchSize, (shapes, _, name) => Recognise(shapes, batchSize, latentSize, name));

    /// <summary>Estimates from tensor shapes (name → shape); shapes that are not a DiT count their weights only.</summary>
    /// <param name="shapes">Every tensor in the file, nested keys joined with '.'.</param>
    /// <param name="batchSize">Forward batch for the activations.</param>
    /// <param name="latentSize">Latent side length (see <see cref="ForCheckpoint"/>).</param>
    /// <param name="fallbackName">The name used when the model is not recognised.</param>
    public static MemoryEstimate FromShapes(IReadOnlyDictionary<string, long[]> shapes, int batchSize = 1, int? latentSize = null,
        string fallbackName = "checkpoint")
    {
        ArgumentNullException.ThrowIfNull(shapes);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        return Recognise(shapes, batchSize, latentSize, fallbackName) ?? MemoryEstimate.FromShapes(shapes, batchSize, fallbackName);
    }

    /// <summary>
    /// Live floats of one DiT forward per input, inference mode, one block at a time: about 12·T·D for the
    /// token stream, its norms, q/k/v, the attention output and the 4·D-wide MLP (before and after GELU), plus
    /// 2·H·T² for the attention scores and their softmax (H: the official head count of width D).
    /// </summary>
    public static long ActivationFloats(long tokens, int hidden) =>
        12 * tokens * hidden + 2L * DiTConfig.OfficialHeads(hidden) * tokens * tokens;

    private static MemoryEstimate? Recognise(IReadOnlyDictionary<string, long[]> shapes, int batchSize, int? latentSize, string fallbackName)
    {
        string? embed = shapes.Keys.FirstOrDefault(k => k.EndsWith(PatchEmbedding, StringComparison.Ordinal));
        if (embed is null || shapes[embed].Length != 4) return null;
        string wrapper = embed[..^PatchEmbedding.Length];
        long all = MemoryEstimate.FloatBytes(shapes.Values);
        long model = MemoryEstimate.FloatBytes(shapes.Where(kv => kv.Key.StartsWith(wrapper, StringComparison.Ordinal)).Select(kv => kv.Value));
        model += MergedAdapterBytes(shapes, wrapper);
        long[] e = shapes[embed];
        int hidden = (int)e[0], patch = (int)e[2];
        int depth = shapes.Keys.Where(k => k.StartsWith(wrapper + "blocks.", StringComparison.Ordinal))
            .Select(k => k[(wrapper.Length + 7)..].Split('.')[0]).Distinct().Count();
        long tokens = latentSize is int s ? (long)(s / patch) * (s / patch)
            : shapes.TryGetValue(wrapper + "pos_embed", out var pos) && pos.Length == 3 ? pos[1] : 256;
        long activations = checked(ActivationFloats(tokens, hidden) * batchSize * 4);
        return new MemoryEstimate(Name(hidden, depth, patch), all, model, activations, batchSize);
    }

    // A pack folds each LoRA adapter (…lora.<patch>.A/B) into a weight of its own at load (AdaptedLinear.MergeAdapters):
    // one more copy of the adapted layer's base weight per adapter.
    private static long MergedAdapterBytes(IReadOnlyDictionary<string, long[]> shapes, string wrapper) =>
        MemoryEstimate.FloatBytes(shapes.Keys
            .Where(k => k.StartsWith(wrapper, StringComparison.Ordinal) && k.EndsWith(".A", StringComparison.Ordinal) && k.Contains(".lora.", StringComparison.Ordinal))
            .Select(k => k[..k.IndexOf(".lora.", StringComparison.Ordinal)] + ".weight")
            .Where(shapes.ContainsKey)
            .Select(k => shapes[k]));

    private static string Name(int hidden, int depth, int patch)
    {
        string? size = (hidden, depth) switch
        {
            (384, 12) => "S",
            (768, 12) => "B",
            (1024, 24) => "L",
            (1152, 28) => "XL",
            _ => null,
        };
        return size is not null ? $"DiT-{size}/{patch}" : $"DiT (hidden {hidden}, depth {depth}, patch {patch})";
    }
}
