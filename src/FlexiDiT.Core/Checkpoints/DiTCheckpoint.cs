using FlexiDiT.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Checkpoints;

/// <summary>Loads official (and FlexiDiT) checkpoints into a <see cref="DiT"/>, checking every tensor.</summary>
public static class DiTCheckpoint
{
    private const string ConfigMetadataKey = "flexidit.config";

    /// <summary>
    /// Loads <paramref name="checkpointPath"/>. The config comes from <paramref name="configPath"/> (official
    /// constructor names), from the checkpoint's own metadata, or else from what the weights imply; whatever
    /// the weights imply is checked against it.
    /// </summary>
    /// <param name="checkpointPath">The checkpoint (<c>.safetensors</c>, or a <c>torch.save</c> zip: <c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.ckpt</c>).</param>
    /// <param name="configPath">The config JSON (official names); default: the file's own metadata, else what the weights imply.</param>
    /// <param name="device">Where the model goes; default: the CPU.</param>
    /// <param name="availableMemoryBytes">Memory the model may take on the CPU; default: what the machine has available (<see cref="DiTMemoryEstimate"/>).</param>
    /// <exception cref="InsufficientMemoryException">The model will not fit; thrown from the file's header, before any weights are read.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable DiT checkpoint; the message names the file and what is wrong.</exception>
    public static DiT Load(string checkpointPath, string? configPath = null, Device? device = null, long? availableMemoryBytes = null) =>
        LoadWithin(checkpointPath, memoryEstimate: null, configPath, device, availableMemoryBytes);

    /// <summary>
    /// Loads <paramref name="checkpointPath"/> as <see cref="Load(string, string?, Device?, long?)"/> does, but refuses it
    /// from <paramref name="memoryEstimate"/>, the caller's own estimate of this file, instead of reading its header again:
    /// for a caller that has already estimated it for more than the one image that overload assumes (a training batch).
    /// </summary>
    /// <param name="checkpointPath">The checkpoint (<c>.safetensors</c>, or a <c>torch.save</c> zip: <c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.ckpt</c>).</param>
    /// <param name="memoryEstimate">This file's estimate (<see cref="DiTMemoryEstimate.ForCheckpoint"/>), checked against the available memory.</param>
    /// <param name="configPath">The config JSON (official names); default: the file's own metadata, else what the weights imply.</param>
    /// <param name="device">Where the model goes; default: the CPU.</param>
    /// <param name="availableMemoryBytes">Memory the model may take on the CPU; default: what the machine has available.</param>
    /// <exception cref="InsufficientMemoryException">The model will not fit by <paramref name="memoryEstimate"/>; thrown before any weights are read.</exception>
    /// <exception cref="InvalidDataException">The file is not a readable DiT checkpoint; the message names the file and what is wrong.</exception>
    public static DiT Load(string checkpointPath, MemoryEstimate memoryEstimate, string? configPath = null, Device? device = null, long? availableMemoryBytes = null)
    {
        ArgumentNullException.ThrowIfNull(memoryEstimate);
        return LoadWithin(checkpointPath, memoryEstimate, configPath, device, availableMemoryBytes);
    }

    private static DiT LoadWithin(string checkpointPath, MemoryEstimate? memoryEstimate, string? configPath, Device? device, long? availableMemoryBytes)
    {
        // A model that cannot fit is refused from its header, before a byte of weights is read (as the VAE and the converter
        // are); the GPU's memory is not what this estimates.
        if (device is null || device.type == DeviceType.CPU)
            (memoryEstimate ?? DiTMemoryEstimate.ForCheckpoint(checkpointPath)).EnsureFits(availableMemoryBytes);
        var weights = StateDictReader.Read(checkpointPath);
        try
        {
            DiTConfig? declared = configPath is not null ? DiTConfig.Load(configPath) : ReadEmbeddedConfig(checkpointPath);
            var config = Reconcile(weights, declared, checkpointPath);
            var model = new DiT(config);
            LoadInto(model, weights, checkpointPath);
            model.eval();
            return device is null ? model : model.to(device);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }

    /// <summary>Saves the model as safetensors with its config embedded in the metadata.</summary>
    public static void Save(DiT model, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        SafetensorsFile.WriteWithConfig(path, model.state_dict(), ConfigMetadataKey, model.Config, DiTConfig.JsonOptions, extraMetadata);
    }

    /// <summary>The config stored in a FlexiDiT safetensors file, if any.</summary>
    public static DiTConfig? ReadEmbeddedConfig(string path) => SafetensorsFile.ReadMetadataJson<DiTConfig>(path, ConfigMetadataKey, DiTConfig.JsonOptions);

    /// <summary>
    /// The config of <paramref name="checkpointPath"/> read from its header alone, without loading a weight: its embedded
    /// config, else what its tensor shapes imply, checked as <see cref="Load(string, string?, Device?, long?)"/> checks
    /// them; null when the header cannot be followed (a <c>torch.save</c> zip whose pickle the shape scanner does not
    /// follow: only loading it says what it is).
    /// </summary>
    /// <param name="checkpointPath">The checkpoint (<c>.safetensors</c>, or a <c>torch.save</c> zip: <c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.ckpt</c>).</param>
    /// <exception cref="InvalidDataException">The shapes are not a DiT's, or do not match the embedded config.</exception>
    public static DiTConfig? ReadConfig(string checkpointPath)
    {
        if (!File.Exists(checkpointPath)) throw new FileNotFoundException($"Checkpoint not found: {checkpointPath}", checkpointPath);
        var shapes = CheckpointShapes.ReadStateDict(checkpointPath);
        return shapes is null ? null : Reconcile(shapes, ReadEmbeddedConfig(checkpointPath), checkpointPath);
    }

    /// <summary>What the weights say about the architecture, checked against the declared config.</summary>
    public static DiTConfig Reconcile(IReadOnlyDictionary<string, Tensor> w, DiTConfig? declared, string source) =>
        Reconcile(w.ToDictionary(kv => kv.Key, kv => kv.Value.shape), declared, source);

    /// <summary>What the tensor shapes (name → shape, as <see cref="CheckpointShapes"/> reads them) say about the architecture, checked against the declared config.</summary>
    public static DiTConfig Reconcile(IReadOnlyDictionary<string, long[]> w, DiTConfig? declared, string source)
    {
        long[] Shape(string key) => w.TryGetValue(key, out var shape) ? shape
            : throw new InvalidDataException($"Checkpoint {source} has no tensor '{key}', which every DiT has; is this a DiT checkpoint? (first keys: {string.Join(", ", w.Keys.Take(8))})");

        long[] embed = Shape("x_embedder.proj.weight");
        if (embed.Length != 4 || embed[2] != embed[3])
            throw new InvalidDataException($"Checkpoint {source}: 'x_embedder.proj.weight' has shape [{string.Join(", ", embed)}], expected [hidden, channels, p, p].");
        int hidden = (int)embed[0], channels = (int)embed[1], patch = (int)embed[2];
        long[] pos = Shape("pos_embed");
        int grid = (int)Math.Round(Math.Sqrt(pos[1]));
        if (pos.Length != 3 || grid * grid != pos[1])
            throw new InvalidDataException($"Checkpoint {source}: 'pos_embed' has shape [{string.Join(", ", pos)}], expected [1, tokens, hidden] with a square token count.");
        int depth = 0;
        while (w.ContainsKey($"blocks.{depth}.attn.qkv.weight")) depth++;
        long rows = Shape("y_embedder.embedding_table.weight")[0];
        long outFeatures = Shape("final_layer.linear.weight")[0];
        int outChannels = (int)(outFeatures / (patch * patch));
        bool learnSigma = outChannels == 2 * channels;
        if (!learnSigma && outChannels != channels)
            throw new InvalidDataException($"Checkpoint {source}: 'final_layer.linear.weight' has {outFeatures} outputs, which is neither {patch}²×{channels} nor {patch}²×{2 * channels}.");
        double mlpRatio = depth > 0 ? Shape("blocks.0.mlp.fc1.weight")[0] / (double)hidden : 4.0;

        var inferred = new DiTConfig
        {
            InputSize = grid * patch,
            PatchSize = patch,
            InChannels = channels,
            HiddenSize = hidden,
            Depth = depth,
            NumHeads = declared?.NumHeads,
            MlpRatio = mlpRatio,
            LearnSigma = learnSigma,
            ClassDropoutProb = declared?.ClassDropoutProb ?? 0.1,
            NumClasses = declared?.NumClasses ?? (int)rows - 1,
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
            Check("input_size", declared.InputSize, inferred.InputSize);
            Check("patch_size", declared.PatchSize, patch);
            Check("in_channels", declared.InChannels, channels);
            Check("hidden_size", declared.HiddenSize, hidden);
            Check("depth", declared.Depth, depth);
            Check("learn_sigma", declared.LearnSigma, learnSigma);
            Check("mlp_ratio", declared.MlpRatio, mlpRatio);
        }
        long expectedRows = inferred.NumClasses + (inferred.HasNullClass ? 1 : 0);
        if (rows != expectedRows)
            throw new InvalidDataException($"Checkpoint {source}: the label table has {rows} rows but num_classes {inferred.NumClasses} with class_dropout_prob {inferred.ClassDropoutProb} needs {expectedRows}.");
        inferred.Validate();
        return inferred;
    }

    /// <summary>Copies every tensor the model needs from <paramref name="weights"/>; names a missing, extra or misshapen one.</summary>
    public static void LoadInto(nn.Module model, IReadOnlyDictionary<string, Tensor> weights, string source)
    {
        var expected = model.state_dict();
        var unexpected = weights.Keys.Where(k => !expected.ContainsKey(k)).ToList();
        if (unexpected.Count > 0)
            throw new InvalidDataException($"Checkpoint {source} has tensors this model does not have: {string.Join(", ", unexpected.Take(5))}{(unexpected.Count > 5 ? $" (and {unexpected.Count - 5} more)" : "")}.");
        using var _ = torch.no_grad();
        foreach (var (key, target) in expected)
        {
            if (!weights.TryGetValue(key, out var source_))
                throw new InvalidDataException($"Checkpoint {source} is missing tensor '{key}' (shape [{string.Join(", ", target.shape)}]).");
            if (!source_.shape.SequenceEqual(target.shape))
                throw new InvalidDataException($"Checkpoint {source}: tensor '{key}' has shape [{string.Join(", ", source_.shape)}] but the model expects [{string.Join(", ", target.shape)}].");
            target.copy_(source_);
        }
    }
}
