using System.Text.Json;
using System.Text.Json.Serialization;
using FlexiDiT.Diffusion;

namespace FlexiDiT.Models;

/// <summary>
/// The DiT constructor's arguments, in the official names (<c>DiT(input_size, patch_size, in_channels,
/// hidden_size, depth, num_heads, mlp_ratio, class_dropout_prob, num_classes, learn_sigma)</c>), plus the
/// patch sizes a FlexiDiT adds on top of the original one.
/// </summary>
public sealed record DiTConfig : IDenoiserGeometry
{
    /// <summary>Latent (or pixel) side length the model was trained on.</summary>
    [JsonPropertyName("input_size")] public int InputSize { get; init; } = 32;
    /// <summary>The original ("powerful") patch size.</summary>
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 2;
    /// <summary>Input channels (4 for SD-VAE latents, 3 for pixels).</summary>
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 4;
    /// <summary>Transformer width.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 1152;
    /// <summary>Number of DiT blocks.</summary>
    [JsonPropertyName("depth")] public int Depth { get; init; } = 28;
    /// <summary>Attention heads; when absent, the official value for the hidden size.</summary>
    [JsonPropertyName("num_heads")] public int? NumHeads { get; init; }
    /// <summary>MLP expansion ratio.</summary>
    [JsonPropertyName("mlp_ratio")] public double MlpRatio { get; init; } = 4.0;
    /// <summary>Label dropout used in training; above zero the label table has a null row for guidance.</summary>
    [JsonPropertyName("class_dropout_prob")] public double ClassDropoutProb { get; init; } = 0.1;
    /// <summary>Number of classes (without the null class).</summary>
    [JsonPropertyName("num_classes")] public int NumClasses { get; init; } = 1000;
    /// <summary>Whether the model also predicts the variance (output channels doubled).</summary>
    [JsonPropertyName("learn_sigma")] public bool LearnSigma { get; init; } = true;
    /// <summary>Extra ("weak") patch sizes of a FlexiDiT; empty for a plain DiT.</summary>
    [JsonPropertyName("flexi_patch_sizes")] public int[] FlexiPatchSizes { get; init; } = [];
    /// <summary>LoRA rank of the weak patch sizes' adapters (0: no adapters).</summary>
    [JsonPropertyName("flexi_lora_rank")] public int FlexiLoraRank { get; init; }

    /// <summary>Heads actually used: the configured value or the official one for the width.</summary>
    [JsonIgnore] public int Heads => NumHeads ?? OfficialHeads(HiddenSize);
    /// <summary>Output channels: doubled when sigma is learned.</summary>
    [JsonIgnore] public int OutChannels => LearnSigma ? InChannels * 2 : InChannels;
    /// <summary>The reverse-step variance the model was trained for: learned where it learns sigma, else fixed β (as DiT).</summary>
    [JsonIgnore] public VarianceKind Variance => LearnSigma ? VarianceKind.LearnedRange : VarianceKind.FixedLarge;
    /// <summary>Whether the label table has a null class for classifier-free guidance.</summary>
    [JsonIgnore] public bool HasNullClass => ClassDropoutProb > 0;
    /// <summary>Index of the null class (valid only when <see cref="HasNullClass"/>).</summary>
    [JsonIgnore] public int NullClass => NumClasses;
    /// <summary>MLP hidden width.</summary>
    [JsonIgnore] public int MlpHidden => (int)(HiddenSize * MlpRatio);
    /// <summary>All patch sizes the model runs, original first.</summary>
    [JsonIgnore] public IReadOnlyList<int> AllPatchSizes => [PatchSize, .. FlexiPatchSizes];

    /// <summary>Throws unless every label is one of the model's classes, 0 to <see cref="NumClasses"/> - 1 (the null class is not one).</summary>
    /// <param name="labels">The class labels.</param>
    /// <param name="paramName">The argument the labels came in, for the exception.</param>
    /// <exception cref="ArgumentOutOfRangeException">A label is outside the model's classes.</exception>
    public void ThrowIfNotClasses(IEnumerable<long> labels, string paramName)
    {
        ArgumentNullException.ThrowIfNull(labels, paramName);
        foreach (long label in labels)
        {
            if (label < 0 || label >= NumClasses)
                throw new ArgumentOutOfRangeException(paramName, label, $"Class {label} is outside the model's 0..{NumClasses - 1}.");
        }
    }

    /// <inheritdoc />
    public long Flops(int patchSize, long batch = 1) => FlexiDiT.Flops.FlopCounter.Flops(this, patchSize, batch);

    /// <inheritdoc />
    public long ConditionFlops(int patchSize, long batch = 1) => 0; // the class embedding is a table lookup

    /// <summary>The official DiT head counts: S 6, B 12, L 16, XL 16; otherwise width / 64.</summary>
    public static int OfficialHeads(int hiddenSize) => hiddenSize switch
    {
        384 => 6,
        768 => 12,
        1024 or 1152 => 16,
        _ => Math.Max(1, hiddenSize / 64),
    };

    /// <summary>Checks the numbers are a model that can exist and names the field that is wrong.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new InvalidDataException("Invalid DiT config: " + message);
        }
        Require(InputSize > 0, $"input_size must be positive (got {InputSize})");
        Require(PatchSize > 0 && InputSize % PatchSize == 0, $"patch_size {PatchSize} must divide input_size {InputSize}");
        Require(InChannels > 0, $"in_channels must be positive (got {InChannels})");
        Require(HiddenSize > 0 && HiddenSize % 4 == 0, $"hidden_size must be a positive multiple of 4 (got {HiddenSize})");
        Require(Depth > 0, $"depth must be positive (got {Depth})");
        Require(Heads > 0 && HiddenSize % Heads == 0, $"num_heads {Heads} must divide hidden_size {HiddenSize}");
        Require(NumClasses > 0, $"num_classes must be positive (got {NumClasses})");
        foreach (int p in FlexiPatchSizes)
            Require(p > 0 && InputSize % p == 0 && p != PatchSize, $"flexi patch size {p} must divide input_size {InputSize} and differ from {PatchSize}");
        Require(FlexiLoraRank >= 0, $"flexi_lora_rank must be non-negative (got {FlexiLoraRank})");
    }

    /// <summary>Reads a config written in the official constructor's names; extra keys are ignored.</summary>
    public static DiTConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model config not found: {path}", path);
        DiTConfig? config;
        try
        {
            config = JsonSerializer.Deserialize<DiTConfig>(File.ReadAllText(path), JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Model config {path} is not valid JSON in the official DiT names: {e.Message}", e);
        }
        if (config is null) throw new InvalidDataException($"Model config {path} is empty.");
        config.Validate();
        return config;
    }

    /// <summary>Writes the config as JSON.</summary>
    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, JsonOptions));

    /// <summary>JSON settings shared by config files.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new() { WriteIndented = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>An official configuration by name, e.g. <c>DiT-XL/2</c>, <c>DiT-S/4</c>.</summary>
    public static DiTConfig Official(string name, int inputSize = 32, int numClasses = 1000)
    {
        string[] parts = name.Replace("DiT-", "", StringComparison.OrdinalIgnoreCase).Split('/');
        if (parts.Length != 2 || !int.TryParse(parts[1], out int patch))
            throw new ArgumentException($"Unknown DiT name '{name}'; expected e.g. DiT-XL/2, DiT-S/4.", nameof(name));
        (int depth, int hidden) = parts[0].ToUpperInvariant() switch
        {
            "S" => (12, 384),
            "B" => (12, 768),
            "L" => (24, 1024),
            "XL" => (28, 1152),
            _ => throw new ArgumentException($"Unknown DiT size '{parts[0]}'; expected S, B, L or XL.", nameof(name)),
        };
        return new DiTConfig { InputSize = inputSize, PatchSize = patch, HiddenSize = hidden, Depth = depth, NumClasses = numClasses };
    }
}
