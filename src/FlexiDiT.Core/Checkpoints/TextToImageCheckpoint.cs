using System.Text.Json;
using FlexiDiT.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Checkpoints;

/// <summary>
/// Saves and loads a <see cref="TextToImageModel"/> as one safetensors file: the encoder under <c>text_encoder.</c>,
/// the denoiser under <c>pixart.</c> (official PixArt names after the prefix), the config in the metadata.
/// </summary>
public static class TextToImageCheckpoint
{
    private const string ConfigMetadataKey = "flexidit.t2i.config";

    /// <summary>The prefix of the caption encoder's tensors.</summary>
    public const string EncoderPrefix = "text_encoder.";

    /// <summary>The prefix of the denoiser's tensors.</summary>
    public const string DenoiserPrefix = "pixart.";

    /// <summary>Writes the model to <paramref name="path"/>.</summary>
    public static void Save(TextToImageModel model, string path, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        SafetensorsFile.WriteWithConfig(path, model.state_dict(), ConfigMetadataKey, model.Config, DiTConfig.JsonOptions, extraMetadata);
    }

    /// <summary>Whether <paramref name="path"/> is a text-to-image checkpoint (a safetensors file with this class's config metadata).</summary>
    public static bool IsTextToImage(string path) =>
        path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase) && File.Exists(path)
        && SafetensorsFile.ReadHeader(path).Metadata.ContainsKey(ConfigMetadataKey);

    /// <summary>The config a text-to-image checkpoint was saved with.</summary>
    public static TextToImageConfig ReadConfig(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"No text-to-image checkpoint at {path}; train one with 'flexidit train-t2i --run DIR'.", path);
        var (_, metadata) = SafetensorsFile.ReadHeader(path);
        if (!metadata.TryGetValue(ConfigMetadataKey, out var json))
            throw new InvalidDataException($"{path} is not a text-to-image checkpoint (no '{ConfigMetadataKey}' metadata); give the ema.safetensors of a train-t2i run.");
        return JsonSerializer.Deserialize<TextToImageConfig>(json, DiTConfig.JsonOptions) ?? throw new InvalidDataException($"{path}: empty '{ConfigMetadataKey}' metadata.");
    }

    /// <summary>Loads the model in eval mode.</summary>
    public static TextToImageModel Load(string path, Device? device = null)
    {
        var model = new TextToImageModel(ReadConfig(path));
        LoadInto(model, path);
        model.eval();
        return device is null ? model : model.to(device);
    }

    /// <summary>Copies the weights of <paramref name="path"/> into <paramref name="model"/>; names a missing or misshapen tensor.</summary>
    public static void LoadInto(TextToImageModel model, string path) => LoadPart(model, path, "");

    /// <summary>
    /// The denoiser half (<c>pixart.*</c>) alone, as the engine runs it, with the weak patch sizes its config lists, in
    /// eval mode on <paramref name="device"/>.
    /// </summary>
    public static PixArt LoadDenoiser(string path, Device? device = null)
    {
        var model = new PixArt(ReadConfig(path).Denoiser);
        try
        {
            LoadPart(model, path, DenoiserPrefix);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return device is null ? model : model.to(device);
    }

    /// <summary>
    /// Copies the tensors of <paramref name="path"/> whose names start with <paramref name="prefix"/> (the prefix removed)
    /// into <paramref name="module"/>; names a missing or misshapen tensor.
    /// </summary>
    public static void LoadPart(nn.Module module, string path, string prefix)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(prefix);
        var weights = StateDictReader.Read(path, key => key.StartsWith(prefix, StringComparison.Ordinal));
        try
        {
            DiTCheckpoint.LoadInto(module, weights.ToDictionary(w => w.Key[prefix.Length..], w => w.Value), path);
        }
        finally
        {
            foreach (var t in weights.Values) t.Dispose();
        }
    }
}
