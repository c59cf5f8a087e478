using System.Text.RegularExpressions;
using FlexiDiT.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Checkpoints;

/// <summary>
/// Loads PixArt-α weights into a <see cref="PixArt"/>: the official <c>.pth</c> (<c>{'state_dict': ...}</c>, or training
/// wrappers <c>ema</c>/<c>model</c>), official-name <c>.safetensors</c>, and diffusers' <c>PixArtTransformer2DModel</c>
/// layout (mapped back to the official names, its split q/k/v joined). <c>pos_embed</c> is recomputed, not loaded.
/// </summary>
public static partial class PixArtCheckpoint
{
    private const string ConfigMetadataKey = "flexidit.pixart.config";

    /// <summary>
    /// Loads <paramref name="checkpointPath"/>. The config comes from <paramref name="configPath"/> (official names or a
    /// diffusers <c>config.json</c>), from the file's own metadata, or else from what the weights imply; whatever the
    /// weights imply is checked against it.
    /// </summary>
    public static PixArt Load(string checkpointPath, string? configPath = null, Device? device = null)
    {
        var weights = StateDictReader.Read(checkpointPath);
        try
        {
            if (IsDiffusersLayout(weights.Keys)) weights = FromDiffusers(weights, checkpointPath);
            PixArtConfig? declared = configPath is not null ? PixArtConfig.Load(configPath) : ReadEmbeddedConfig(checkpointPath);
            var config = Reconcile(weights, declared, checkpointPath);
            if (weights.Remove("pos_embed", out var table)) table.Dispose(); // recomputed with the config's lewei_scale, as the official scripts do
            var model = new PixArt(config, hasNullCaption: weights.ContainsKey("y_embedder.y_embedding"));
            DiTCheckpoint.LoadInto(model, weights, checkpointPath);
            model.eval();
            return device is null ? model : model.to(device);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>Saves the model as safetensors (official names) with its config embedded in the metadata.</summary>
    public static void Save(PixArt model, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        SafetensorsFile.WriteWithConfig(path, model.state_dict(), ConfigMetadataKey, model.Config, DiTConfig.JsonOptions, extraMetadata);
    }

    /// <summary>Whether a checkpoint holds PixArt-α weights (either layout) rather than a DiT's.</summary>
    public static bool IsPixArt(string checkpointPath)
    {
        if (checkpointPath.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
        {
            var (entries, metadata) = SafetensorsFile.ReadHeader(checkpointPath);
            return metadata.ContainsKey(ConfigMetadataKey) || entries.Any(e => IsPixArtKey(e.Name));
        }
        var weights = StateDictReader.Read(checkpointPath, IsPixArtKey);
        bool any = weights.Count > 0;
        foreach (var t in weights.Values) t.Dispose();
        return any;
    }

    private static bool IsPixArtKey(string key) => key is "t_block.1.weight" or "adaln_single.linear.weight";

    /// <summary>The config stored in a FlexiDiT safetensors file, if any.</summary>
    public static PixArtConfig? ReadEmbeddedConfig(string path) => SafetensorsFile.ReadMetadataJson<PixArtConfig>(path, ConfigMetadataKey, DiTConfig.JsonOptions);

    /// <summary>
    /// The config of <paramref name="checkpointPath"/> read from its header alone, without loading a weight: its embedded
    /// config, else what its tensor shapes imply, checked as <see cref="Load"/> checks them; null for a diffusers-layout
    /// file (its q, k and v are joined only when loaded) and when the header cannot be followed (a <c>torch.save</c> zip
    /// whose pickle the shape scanner does not follow).
    /// </summary>
    /// <param name="checkpointPath">The checkpoint in the official layout (<c>.safetensors</c>, <c>.pth</c>, ...).</param>
    /// <exception cref="InvalidDataException">The shapes are not a PixArt-α's, or do not match the embedded config.</exception>
    public static PixArtConfig? ReadConfig(string checkpointPath)
    {
        if (!File.Exists(checkpointPath)) throw new FileNotFoundException($"Checkpoint not found: {checkpointPath}", checkpointPath);
        var shapes = CheckpointShapes.ReadStateDict(checkpointPath);
        if (shapes is null || IsDiffusersLayout(shapes.Keys)) return null;
        return Reconcile(shapes, ReadEmbeddedConfig(checkpointPath), checkpointPath);
    }

    /// <summary>What the weights say about the architecture, checked against the declared config.</summary>
    public static PixArtConfig Reconcile(IReadOnlyDictionary<string, Tensor> w, PixArtConfig? declared, string source) =>
        Reconcile(w.ToDictionary(kv => kv.Key, kv => kv.Value.shape), declared, source);

    /// <summary>What the tensor shapes (name → shape, as <see cref="CheckpointShapes"/> reads them) say about the architecture, checked against the declared config.</summary>
    public static PixArtConfig Reconcile(IReadOnlyDictionary<string, long[]> w, PixArtConfig? declared, string source)
    {
        long[] Shape(string key) => w.TryGetValue(key, out var shape) ? shape
            : throw new InvalidDataException($"Checkpoint {source} has no tensor '{key}', which every PixArt-α has; is this a PixArt checkpoint? (first keys: {string.Join(", ", w.Keys.Take(8))})");

        long[] embed = Shape("x_embedder.proj.weight");
        if (embed.Length != 4 || embed[2] != embed[3])
            throw new InvalidDataException($"Checkpoint {source}: 'x_embedder.proj.weight' has shape [{string.Join(", ", embed)}], expected [hidden, channels, p, p].");
        int hidden = (int)embed[0], channels = (int)embed[1], patch = (int)embed[2];
        int depth = 0;
        while (w.ContainsKey($"blocks.{depth}.attn.qkv.weight")) depth++;
        if (depth == 0) Shape("blocks.0.attn.qkv.weight");
        long[] fc1 = Shape("y_embedder.y_proj.fc1.weight");
        int captionChannels = (int)fc1[1];
        long outFeatures = Shape("final_layer.linear.weight")[0];
        int outChannels = (int)(outFeatures / (patch * patch));
        bool predSigma = outChannels == 2 * channels;
        if (!predSigma && outChannels != channels || outChannels * patch * patch != outFeatures)
            throw new InvalidDataException($"Checkpoint {source}: 'final_layer.linear.weight' has {outFeatures} outputs, which is neither {patch}²×{channels} nor {patch}²×{2 * channels}.");
        double mlpRatio = Shape("blocks.0.mlp.fc1.weight")[0] / (double)hidden;
        int? maxLength = w.TryGetValue("y_embedder.y_embedding", out var nullCaption) ? (int)nullCaption[0] : null;
        if (nullCaption is not null && (nullCaption.Length != 2 || nullCaption[1] != captionChannels))
            throw new InvalidDataException($"Checkpoint {source}: 'y_embedder.y_embedding' has shape [{string.Join(", ", nullCaption)}], expected [tokens, {captionChannels}] (caption_channels from 'y_embedder.y_proj.fc1.weight').");
        int? inputSize = null;
        if (w.TryGetValue("pos_embed", out var pos))
        {
            int grid = (int)Math.Round(Math.Sqrt(pos[^2]));
            if (pos.Length != 3 || grid * grid != pos[1] || pos[2] != hidden)
                throw new InvalidDataException($"Checkpoint {source}: 'pos_embed' has shape [{string.Join(", ", pos)}], expected [1, tokens, {hidden}] with a square token count.");
            inputSize = grid * patch;
        }
        if (declared is null && inputSize is null)
            throw new InvalidDataException($"Checkpoint {source} has no 'pos_embed', so its input size is unknown: give the model config (official names or diffusers config.json).");

        var inferred = new PixArtConfig
        {
            InputSize = declared?.InputSize ?? inputSize!.Value,
            PatchSize = patch,
            InChannels = channels,
            HiddenSize = hidden,
            Depth = depth,
            NumHeads = declared?.NumHeads ?? (hidden == 1152 ? 16
                : throw new InvalidDataException($"Checkpoint {source}: num_heads cannot be read from the weights of width {hidden} (only PixArt-XL's 1152 → 16 is known); give the model config.")),
            MlpRatio = mlpRatio,
            ClassDropoutProb = declared?.ClassDropoutProb ?? 0.1,
            PredSigma = predSigma,
            CaptionChannels = captionChannels,
            ModelMaxLength = maxLength ?? declared?.ModelMaxLength ?? 120,
            LeweiScale = declared?.LeweiScale ?? 1.0,
            FlexiPatchSizes = declared?.FlexiPatchSizes ?? [],
            FlexiLoraRank = declared?.FlexiLoraRank ?? 0,
        };
        if (declared is not null)
        {
            void Check<T>(string field, T fromConfig, T fromWeights)
            {
                if (!EqualityComparer<T>.Default.Equals(fromConfig, fromWeights))
                    throw new InvalidDataException($"Checkpoint {source} does not match its config: '{field}' is {fromConfig} in the config but the weights imply {fromWeights}.");
            }
            if (inputSize is not null) Check("input_size", declared.InputSize, inputSize.Value);
            Check("patch_size", declared.PatchSize, patch);
            Check("in_channels", declared.InChannels, channels);
            Check("hidden_size", declared.HiddenSize, hidden);
            Check("depth", declared.Depth, depth);
            Check("pred_sigma", declared.PredSigma, predSigma);
            Check("mlp_ratio", declared.MlpRatio, mlpRatio);
            Check("caption_channels", declared.CaptionChannels, captionChannels);
            if (maxLength is not null) Check("model_max_length", declared.ModelMaxLength, maxLength.Value);
        }
        inferred.Validate();
        return inferred;
    }

    private static bool IsDiffusersLayout(IEnumerable<string> names) =>
        names.Any(name => name is "adaln_single.linear.weight" or "proj_out.weight");

    [GeneratedRegex(@"^transformer_blocks\.(\d+)\.(.+)$")]
    private static partial Regex DiffusersBlockKey();

    /// <summary>
    /// diffusers' <c>PixArtTransformer2DModel</c> names → the official ones (the inverse of diffusers'
    /// <c>convert_pixart_alpha_to_diffusers.py</c>): q/k/v joined into <c>qkv</c>, k/v into <c>kv_linear</c>.
    /// </summary>
    public static Dictionary<string, Tensor> FromDiffusers(Dictionary<string, Tensor> weights, string source)
    {
        var official = new Dictionary<string, Tensor>();
        var pending = new Dictionary<string, Tensor>(weights);
        Tensor Take(string key) => pending.Remove(key, out var t) ? t
            : throw new InvalidDataException($"Diffusers checkpoint {source} is missing tensor '{key}'.");
        void Rename(string from, string to)
        {
            foreach (string suffix in new[] { ".weight", ".bias" }) official[to + suffix] = Take(from + suffix);
        }
        void Join(string[] from, string to)
        {
            foreach (string suffix in new[] { ".weight", ".bias" })
            {
                var parts = from.Select(f => Take(f + suffix)).ToArray();
                official[to + suffix] = cat(parts, 0);
                foreach (var p in parts) p.Dispose();
            }
        }
        Rename("pos_embed.proj", "x_embedder.proj");
        Rename("adaln_single.emb.timestep_embedder.linear_1", "t_embedder.mlp.0");
        Rename("adaln_single.emb.timestep_embedder.linear_2", "t_embedder.mlp.2");
        Rename("adaln_single.linear", "t_block.1");
        Rename("caption_projection.linear_1", "y_embedder.y_proj.fc1");
        Rename("caption_projection.linear_2", "y_embedder.y_proj.fc2");
        Rename("proj_out", "final_layer.linear");
        official["final_layer.scale_shift_table"] = Take("scale_shift_table");
        var blocks = weights.Keys.Select(k => DiffusersBlockKey().Match(k)).Where(m => m.Success).Select(m => int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct().Order();
        foreach (int i in blocks)
        {
            string d = $"transformer_blocks.{i}.", o = $"blocks.{i}.";
            Join([d + "attn1.to_q", d + "attn1.to_k", d + "attn1.to_v"], o + "attn.qkv");
            Rename(d + "attn1.to_out.0", o + "attn.proj");
            Rename(d + "attn2.to_q", o + "cross_attn.q_linear");
            Join([d + "attn2.to_k", d + "attn2.to_v"], o + "cross_attn.kv_linear");
            Rename(d + "attn2.to_out.0", o + "cross_attn.proj");
            Rename(d + "ff.net.0.proj", o + "mlp.fc1");
            Rename(d + "ff.net.2", o + "mlp.fc2");
            official[o + "scale_shift_table"] = Take(d + "scale_shift_table");
        }
        if (pending.Count > 0)
        {
            foreach (var t in official.Values) t.Dispose();
            throw new InvalidDataException($"Diffusers checkpoint {source} has tensors a PixArtTransformer2DModel (ada_norm_single, no additional conditions) does not have: {string.Join(", ", pending.Keys.Take(5))}.");
        }
        return official;
    }
}
