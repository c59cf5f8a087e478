using System.Text.Json;
using FlexiDiT.Checkpoints;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>
/// Loads Hugging Face T5 encoder weights (<c>T5EncoderModel</c>, or the encoder of a whole
/// <c>T5ForConditionalGeneration</c>) from <c>.safetensors</c>, <c>pytorch_model.bin</c> (torch.save zip), or
/// shards listed by <c>model.safetensors.index.json</c> / <c>pytorch_model.bin.index.json</c>. Memory is
/// estimated from the headers before anything is allocated, every tensor is checked against the config, and
/// safetensors are streamed one tensor at a time so loading holds little more than the model itself.
/// </summary>
public static class T5Checkpoint
{
    private const string Shared = "shared.weight";
    private const string TiedEmbedding = "encoder.embed_tokens.weight";

    /// <summary>Files looked for, in this order, when a folder is given (Hugging Face's names).</summary>
    public static IReadOnlyList<string> FolderWeightNames { get; } =
        ["model.safetensors.index.json", "model.safetensors", "pytorch_model.bin.index.json", "pytorch_model.bin"];

    /// <summary>
    /// Loads the encoder in <paramref name="modelPath"/> (a weights file, a shard index, or a folder holding
    /// one of <see cref="FolderWeightNames"/>) with the config in <paramref name="configPath"/> (default: the
    /// folder's <c>config.json</c>).
    /// </summary>
    /// <exception cref="InsufficientMemoryException">The encoder will not fit in the available memory.</exception>
    /// <exception cref="InvalidDataException">A weights file is malformed or does not match the config.</exception>
    public static T5EncoderModel Load(string modelPath, string? configPath = null, T5EncoderOptions? options = null)
    {
        var config = T5Config.Load(configPath ?? DefaultConfigPath(modelPath));
        return Load(modelPath, config, options);
    }

    /// <summary>Loads the encoder in <paramref name="modelPath"/> into an encoder of <paramref name="config"/>.</summary>
    /// <exception cref="InsufficientMemoryException">The encoder will not fit in the available memory.</exception>
    /// <exception cref="InvalidDataException">A weights file is malformed or does not match the config.</exception>
    public static T5EncoderModel Load(string modelPath, T5Config config, T5EncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        options ??= new T5EncoderOptions();
        options.Validate();
        config.Validate();
        var files = WeightFiles(modelPath);
        var shapes = files.ToDictionary(f => f, f => CheckpointShapes.Read(f));
        try
        {
            Estimate(config, files, options).EnsureFits(options.AvailableMemoryBytes);
        }
        catch (InsufficientMemoryException e) when (!options.BFloat16)
        {
            var halved = Estimate(config, files, new T5EncoderOptions { BFloat16 = true, MaxLength = options.MaxLength, BatchSize = options.BatchSize });
            throw new InsufficientMemoryException(e.Message + $" With the weights in bfloat16 (T5EncoderOptions.BFloat16, --bf16) it needs about {MemoryEstimate.Format(halved.RequiredBytes)}.", e);
        }

        var model = new T5EncoderModel(config, options.WeightType);
        try
        {
            var expected = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
            CheckHeaders(shapes, expected, config, modelPath);
            var loaded = new HashSet<string>(StringComparer.Ordinal);
            var targets = model.state_dict();
            using (torch.no_grad())
            {
                foreach (string file in files)
                {
                    foreach (var (key, tensor) in ReadEncoderTensors(file, shapes[file], expected.Keys))
                    {
                        using (tensor)
                        {
                            string modelKey = key == TiedEmbedding ? Shared : key;
                            if (loaded.Contains(modelKey)) continue;
                            CheckShape(key, tensor.shape, expected[modelKey], config, file);
                            targets[modelKey].copy_(tensor);
                            loaded.Add(modelKey);
                        }
                    }
                }
            }
            var missing = expected.Keys.Where(k => !loaded.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
            if (missing.Count > 0) throw Missing(missing[0], expected[missing[0]], missing.Count, config, modelPath);
            model.eval();
            return options.Device is null ? model : model.to(options.Device);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>
    /// The weights files of <paramref name="modelPath"/>: the shards of an index (a <c>*.index.json</c> file, or
    /// the one in a folder), a folder's single weights file, or the file itself.
    /// </summary>
    /// <exception cref="FileNotFoundException">Nothing to load there, or a shard named by the index is absent.</exception>
    public static IReadOnlyList<string> WeightFiles(string modelPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(modelPath);
        if (Directory.Exists(modelPath))
        {
            string? found = FolderWeightNames.Select(n => Path.Combine(modelPath, n)).FirstOrDefault(File.Exists);
            if (found is null)
                throw new FileNotFoundException($"No T5 weights in folder {modelPath}: expected one of {string.Join(", ", FolderWeightNames)}; it holds {string.Join(", ", Directory.EnumerateFileSystemEntries(modelPath).Select(Path.GetFileName).Take(12))}.");
            modelPath = found;
        }
        if (!File.Exists(modelPath)) throw new FileNotFoundException($"T5 weights not found: {modelPath}", modelPath);
        return modelPath.EndsWith(".index.json", StringComparison.OrdinalIgnoreCase) ? Shards(modelPath) : [modelPath];
    }

    /// <summary>
    /// Memory needed to load <paramref name="files"/> into an encoder of <paramref name="config"/> and run it,
    /// from the files' headers: the weights in their load type, what the reader holds at once (one tensor of a
    /// safetensors file; a whole torch.save shard, plus its original storages where they are narrower than
    /// float32), and one forward of <see cref="T5EncoderOptions.BatchSize"/> prompts.
    /// </summary>
    public static MemoryEstimate Estimate(T5Config config, IReadOnlyList<string> files, T5EncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(files);
        options ??= new T5EncoderOptions();
        long held = 0;
        foreach (string file in files)
        {
            var shapes = CheckpointShapes.Read(file);
            bool safetensors = !CheckpointShapes.IsZip(file);
            // A pickle the shape scanner cannot follow: its storages as float32 are at most twice their stored bytes (half precision).
            long floatBytes = shapes is null ? 2 * CheckpointShapes.StoredBytes(file)
                : (safetensors ? shapes.Where(kv => IsEncoderKey(kv.Key)).Select(kv => kv.Value).DefaultIfEmpty([]).Max(Float32Bytes)
                    : shapes.Values.Sum(Float32Bytes));
            // safetensors: one tensor's raw bytes, its float32 copy in managed memory and its tensor;
            // a zip: every tensor unpickled, plus the original storages when they were not float32.
            long stored = safetensors ? 0 : CheckpointShapes.StoredBytes(file);
            long fileHeld = safetensors ? 3 * floatBytes : floatBytes + (stored < floatBytes ? stored : 0);
            held = Math.Max(held, fileHeld);
        }
        return Estimate(config, options) with { FileTensorBytes = held };
    }

    /// <summary>Memory for an encoder of <paramref name="config"/> whose weights stream in one tensor at a time (the file part: the largest tensor, the embedding).</summary>
    public static MemoryEstimate Estimate(T5Config config, T5EncoderOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        options ??= new T5EncoderOptions();
        options.Validate();
        int bytesPerWeight = options.BFloat16 ? 2 : 4;
        long largest = Math.Max((long)config.VocabSize * config.DModel, (long)config.DModel * Math.Max(config.DFf, config.InnerDim));
        long activations = checked(ActivationFloats(config, options.MaxLength) * options.BatchSize * 4);
        string name = config == T5Config.T5V11Xxl ? "t5-v1_1-xxl encoder" : $"T5 encoder (d_model {config.DModel}, {config.NumLayers} layers)";
        return new MemoryEstimate(name, 3 * 4 * largest, config.ParameterCount * bytesPerWeight, activations, options.BatchSize)
        {
            Precision = options.BFloat16 ? "bfloat16" : "float32",
        };
    }

    /// <summary>
    /// Live floats of one encoder forward per prompt of <paramref name="tokens"/> tokens, one block at a time:
    /// the stream, its norm and residual (3·T·d_model), q, k, v and the heads' output (4·T·inner), the
    /// feed-forward's two inner products, the GELU and their product (4·T·d_ff), and the scores and softmax
    /// (2·heads·T²).
    /// </summary>
    public static long ActivationFloats(T5Config config, int tokens)
    {
        ArgumentNullException.ThrowIfNull(config);
        long t = tokens;
        return t * (3L * config.DModel + 4L * config.InnerDim + 4L * config.DFf) + 2L * config.NumHeads * t * t;
    }

    /// <summary>The <c>config.json</c> in the folder <paramref name="modelPath"/> is, or is in.</summary>
    /// <exception cref="FileNotFoundException">There is none.</exception>
    public static string DefaultConfigPath(string modelPath)
    {
        string folder = Directory.Exists(modelPath) ? modelPath : Path.GetDirectoryName(Path.GetFullPath(modelPath))!;
        string config = Path.Combine(folder, "config.json");
        return File.Exists(config) ? config
            : throw new FileNotFoundException($"No config.json next to the T5 weights {modelPath}; pass the Hugging Face config.json of the model (d_model, d_kv, d_ff, num_layers, num_heads, ...).", config);
    }

    private static IReadOnlyList<string> Shards(string indexPath)
    {
        string folder = Path.GetDirectoryName(Path.GetFullPath(indexPath))!;
        List<string> names;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(indexPath));
            if (!doc.RootElement.TryGetProperty("weight_map", out var map) || map.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"Shard index {indexPath} has no 'weight_map' object (tensor name → shard file).");
            names = map.EnumerateObject().Select(p => p.Value.GetString() ?? "").Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            throw new InvalidDataException($"Shard index {indexPath} is not a Hugging Face index (JSON with a 'weight_map' of tensor name → shard file): {e.Message}", e);
        }
        if (names.Count == 0) throw new InvalidDataException($"Shard index {indexPath} lists no shards.");
        var files = new List<string>();
        foreach (string name in names)
        {
            string path = Path.GetFullPath(Path.Combine(folder, name));
            if (name.Length == 0 || Path.GetDirectoryName(path) != folder)
                throw new InvalidDataException($"Shard index {indexPath} names '{name}', which is not a file next to the index.");
            if (!File.Exists(path)) throw new FileNotFoundException($"Shard '{name}' listed in {indexPath} is missing.", path);
            files.Add(path);
        }
        return files;
    }

    private static bool IsEncoderKey(string key) => key == Shared || key.StartsWith("encoder.", StringComparison.Ordinal);

    /// <summary>Checks the headers that could be read: wrong shapes and tensors the config has no place for, and (when every header was read) missing ones.</summary>
    private static void CheckHeaders(IReadOnlyDictionary<string, IReadOnlyDictionary<string, long[]>?> shapes, IReadOnlyDictionary<string, long[]> expected,
        T5Config config, string source)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (file, fileShapes) in shapes)
        {
            if (fileShapes is null) continue;
            foreach (var (key, shape) in fileShapes.Where(kv => IsEncoderKey(kv.Key)).OrderBy(kv => kv.Key, StringComparer.Ordinal))
            {
                string modelKey = key == TiedEmbedding ? Shared : key;
                if (!expected.TryGetValue(modelKey, out var want))
                    throw new InvalidDataException($"T5 checkpoint {file} has tensor '{key}' [{string.Join(", ", shape)}] that an encoder with {config} does not have; the config does not match these weights.");
                CheckShape(key, shape, want, config, file);
                seen.Add(modelKey);
            }
        }
        if (shapes.Values.All(s => s is not null))
        {
            var missing = expected.Keys.Where(k => !seen.Contains(k)).OrderBy(k => k, StringComparer.Ordinal).ToList();
            if (missing.Count > 0) throw Missing(missing[0], expected[missing[0]], missing.Count, config, source);
        }
    }

    private static void CheckShape(string key, long[] shape, long[] expected, T5Config config, string source)
    {
        if (!shape.SequenceEqual(expected))
            throw new InvalidDataException($"T5 checkpoint {source}: tensor '{key}' has shape [{string.Join(", ", shape)}] but an encoder with {config} expects [{string.Join(", ", expected)}]; the config does not match these weights.");
    }

    private static InvalidDataException Missing(string key, long[] shape, int count, T5Config config, string source)
    {
        string name = key == Shared ? $"'{Shared}' (or its tied copy '{TiedEmbedding}')" : $"'{key}'";
        return new InvalidDataException($"T5 checkpoint {source} is missing tensor {name} (shape [{string.Join(", ", shape)}]){(count > 1 ? $" and {count - 1} more" : "")} that an encoder with {config} needs; is the config right for these weights?");
    }

    /// <summary>The encoder's tensors in <paramref name="file"/>: streamed one at a time from safetensors, all at once from a torch.save zip.</summary>
    private static IEnumerable<(string Key, Tensor Tensor)> ReadEncoderTensors(string file, IReadOnlyDictionary<string, long[]>? shapes, IEnumerable<string> modelKeys)
    {
        var wanted = new HashSet<string>(modelKeys, StringComparer.Ordinal) { TiedEmbedding };
        if (!CheckpointShapes.IsZip(file) && shapes is not null)
        {
            foreach (string key in shapes.Keys.Where(wanted.Contains).OrderBy(k => k == TiedEmbedding ? 1 : 0))
            {
                var one = SafetensorsFile.Read(file, k => k == key);
                yield return (key, one[key]);
            }
            yield break;
        }
        var all = StateDictReader.Read(file, wanted.Contains);
        try
        {
            // shared.weight before its tied copy, so the copy is skipped when both are there.
            foreach (var key in all.Keys.OrderBy(k => k == TiedEmbedding ? 1 : 0).ToList())
            {
                var tensor = all[key];
                all.Remove(key);
                yield return (key, tensor);
            }
        }
        finally
        {
            foreach (var t in all.Values) t.Dispose();
        }
    }

    private static long Float32Bytes(long[] shape) => shape.Aggregate(4L, (acc, d) => checked(acc * d));
}
