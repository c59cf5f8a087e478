using FlexiDiT.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Vae;

/// <summary>
/// Loads SD VAE decoder weights in any of the published namings (<see cref="VaeKeyNaming"/>), from
/// <c>.safetensors</c>, <c>.bin</c>/<c>.pt</c> state dicts or <c>.ckpt</c> files (keys nested under
/// <c>state_dict</c>, possibly prefixed <c>first_stage_model.</c>). Tensors the decoder does not use
/// (<c>encoder.*</c>, <c>quant_conv.*</c>, loss weights, a whole SD model's UNet) are skipped; every
/// decoder tensor is checked, and errors name keys in the file's own naming.
/// </summary>
public static class VaeCheckpoint
{
    /// <summary>Loads <paramref name="weightsPath"/> with the config in <paramref name="configPath"/>, or the config the weights imply.</summary>
    public static VaeDecoder Load(string weightsPath, string? configPath = null, Device? device = null) =>
        Load(weightsPath, configPath is null ? null : VaeConfig.Load(configPath), device);

    /// <summary>Loads <paramref name="weightsPath"/> into a decoder of <paramref name="config"/> (or of the config the weights imply).</summary>
    public static VaeDecoder Load(string weightsPath, VaeConfig? config, Device? device = null)
    {
        // Only decoder tensors are kept: a whole SD checkpoint also carries a UNet and a text encoder.
        var weights = StateDictReader.Read(weightsPath, MayBelongToDecoder);
        try
        {
            if (weights.Count == 0)
                throw new InvalidDataException($"{weightsPath} holds no VAE decoder weights: no tensor name contains 'decoder.' or 'post_quant_conv.'{FirstKeysHint(weightsPath)}.");
            config ??= InferConfig(weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape), weightsPath);
            var model = new VaeDecoder(config);
            LoadInto(model, weights, weightsPath);
            model.eval();
            return device is null ? model : model.to(device);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>Copies every tensor the decoder needs from <paramref name="weights"/> (keys in any naming, any prefix).</summary>
    /// <exception cref="InvalidDataException">A decoder tensor is missing, misshapen, or left over (the config does not match).</exception>
    public static void LoadInto(VaeDecoder model, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var (prefix, naming) = Recognise(weights.Keys, source);
        var config = model.Config;
        var used = new HashSet<string>(StringComparer.Ordinal);
        using var _ = torch.no_grad();
        foreach (var (key, target) in model.state_dict())
        {
            string fileKey = prefix + VaeKeyNames.ToFileKey(key, naming, config.Levels);
            bool conv1x1 = naming == VaeKeyNaming.Ldm && VaeKeyNames.IsAttentionProjection(key);
            long[] expected = conv1x1 ? [.. target.shape, 1, 1] : target.shape;
            if (!weights.TryGetValue(fileKey, out var tensor))
                throw new InvalidDataException($"VAE checkpoint {source} is missing tensor '{fileKey}' (shape [{string.Join(", ", expected)}]) that a decoder with {config} needs; is the config right for these weights?");
            // A 1×1 conv weight (o, i, 1, 1) and a linear weight (o, i) hold the same numbers.
            bool fits = tensor.shape.SequenceEqual(target.shape)
                || (target.dim() == 2 && tensor.dim() == 4 && tensor.shape[2] == 1 && tensor.shape[3] == 1 && tensor.shape[..2].SequenceEqual(target.shape));
            if (!fits)
                throw new InvalidDataException($"VAE checkpoint {source}: tensor '{fileKey}' has shape [{string.Join(", ", tensor.shape)}] but a decoder with {config} expects [{string.Join(", ", expected)}].");
            target.copy_(tensor.reshape(target.shape));
            used.Add(fileKey);
        }
        var leftOver = weights.Keys
            .Where(k => k.StartsWith(prefix, StringComparison.Ordinal) && !used.Contains(k) && IsDecoderPart(k.AsSpan(prefix.Length)))
            .OrderBy(k => k, StringComparer.Ordinal).ToList();
        if (leftOver.Count > 0)
            throw new InvalidDataException($"VAE checkpoint {source} has decoder tensors that a decoder with {config} does not have: {string.Join(", ", leftOver.Take(5))}{(leftOver.Count > 5 ? $" (and {leftOver.Count - 5} more)" : "")}; the config does not match these weights.");
    }

    /// <summary>
    /// The config that tensor shapes (file keys, any naming) imply. GroupNorm's group count is not visible
    /// in the weights: <paramref name="normNumGroups"/> (SD: 32) is assumed.
    /// </summary>
    public static VaeConfig InferConfig(IReadOnlyDictionary<string, long[]> shapes, string source, int normNumGroups = 32)
    {
        var (prefix, naming) = Recognise(shapes.Keys, source);
        long[] Shape(string fileKey) => shapes.TryGetValue(prefix + fileKey, out var s) ? s
            : throw new InvalidDataException($"VAE checkpoint {source} has no tensor '{prefix + fileKey}', which every VAE decoder has.");
        static int Count(IEnumerable<string> keys, string start) => keys
            .Where(k => k.StartsWith(start, StringComparison.Ordinal))
            .Select(k => k[start.Length..].Split('.')[0])
            .Where(n => int.TryParse(n, out _)).Distinct().Count();

        int levels = Count(shapes.Keys, prefix + (naming == VaeKeyNaming.Ldm ? "decoder.up." : "decoder.up_blocks."));
        if (levels == 0) throw new InvalidDataException($"VAE checkpoint {source} has no up-sampling levels under '{prefix}decoder.'.");
        string FileKey(string key) => VaeKeyNames.ToFileKey(key, naming, levels);
        string firstLevel = FileKey("decoder.up_blocks.0.resnets.0.conv1.weight");
        int resnets = Count(shapes.Keys, prefix + firstLevel[..(firstLevel.IndexOf(".0.conv1", StringComparison.Ordinal) + 1)]);
        var channels = new int[levels];
        for (int i = 0; i < levels; i++) channels[levels - 1 - i] = (int)Shape(FileKey($"decoder.up_blocks.{i}.resnets.0.conv1.weight"))[0];
        bool attention = shapes.ContainsKey(prefix + FileKey("decoder.mid_block.attentions.0.to_q.weight"));
        var config = new VaeConfig
        {
            BlockOutChannels = channels,
            LayersPerBlock = resnets - 1,
            LatentChannels = (int)Shape("decoder.conv_in.weight")[1],
            OutChannels = (int)Shape("decoder.conv_out.weight")[0],
            NormNumGroups = normNumGroups,
            MidBlockAttention = attention,
            UsePostQuantConv = shapes.ContainsKey(prefix + "post_quant_conv.weight"),
        };
        config.Validate($"implied by the weights of {source}; pass a config file if the group count is not {normNumGroups}");
        return config;
    }

    /// <summary>The key prefix and naming of a VAE state dict.</summary>
    /// <exception cref="InvalidDataException">The keys are in none of the known namings.</exception>
    public static (string Prefix, VaeKeyNaming Naming) Recognise(IEnumerable<string> keys, string source)
    {
        var list = keys as ICollection<string> ?? keys.ToList();
        string? prefix = VaeKeyNames.FindPrefix(list);
        VaeKeyNaming? naming = prefix is null ? null : VaeKeyNames.Detect(list, prefix);
        if (prefix is null || naming is null)
        {
            throw new InvalidDataException(
                $"{source} is not a VAE decoder state dict in any known naming: expected 'decoder.conv_in.weight' with ldm keys ('decoder.up.N.block.M...', 'decoder.mid.attn_1.q') " +
                $"or diffusers keys ('decoder.up_blocks.N.resnets.M...', 'decoder.mid_block.attentions.0.to_q' or '.query'), optionally under a prefix such as 'first_stage_model.'; " +
                $"its first keys: {string.Join(", ", list.Take(8))}.");
        }

        return (prefix, naming.Value);
    }

    private static bool MayBelongToDecoder(string key) =>
        key.Contains("decoder.", StringComparison.Ordinal) || key.Contains("post_quant_conv.", StringComparison.Ordinal);

    private static bool IsDecoderPart(ReadOnlySpan<char> key) =>
        key.StartsWith("decoder.") || key.StartsWith("post_quant_conv.");

    private static string FirstKeysHint(string path)
    {
        if (!path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return "";
        var (entries, _) = SafetensorsFile.ReadHeader(path);
        return $" (its first keys: {string.Join(", ", entries.Take(8).Select(e => e.Name))})";
    }
}
