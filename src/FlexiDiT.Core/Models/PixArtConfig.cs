using System.Text.Json;
using System.Text.Json.Serialization;
using FlexiDiT.Diffusion;

namespace FlexiDiT.Models;

/// <summary>
/// The PixArt-α constructor's arguments in the official names (<c>PixArt(input_size, patch_size, in_channels,
/// hidden_size, depth, num_heads, mlp_ratio, class_dropout_prob, pred_sigma, caption_channels, lewei_scale,
/// model_max_length)</c>), plus the weak patch sizes a FlexiDiT adds.
/// </summary>
public sealed record PixArtConfig : IDenoiserGeometry
{
    /// <summary>Latent side length (32 for 256², 64 for 512², 128 for 1024²).</summary>
    [JsonPropertyName("input_size")] public int InputSize { get; init; } = 32;
    /// <summary>The original ("powerful") patch size.</summary>
    [JsonPropertyName("patch_size")] public int PatchSize { get; init; } = 2;
    /// <summary>Latent channels.</summary>
    [JsonPropertyName("in_channels")] public int InChannels { get; init; } = 4;
    /// <summary>Transformer width.</summary>
    [JsonPropertyName("hidden_size")] public int HiddenSize { get; init; } = 1152;
    /// <summary>Number of blocks.</summary>
    [JsonPropertyName("depth")] public int Depth { get; init; } = 28;
    /// <summary>Attention heads (self- and cross-attention).</summary>
    [JsonPropertyName("num_heads")] public int NumHeads { get; init; } = 16;
    /// <summary>MLP expansion ratio.</summary>
    [JsonPropertyName("mlp_ratio")] public double MlpRatio { get; init; } = 4.0;
    /// <summary>Caption dropout of training; the learned null caption stands in for a dropped caption.</summary>
    [JsonPropertyName("class_dropout_prob")] public double ClassDropoutProb { get; init; } = 0.1;
    /// <summary>Whether the model also predicts the variance (output channels doubled).</summary>
    [JsonPropertyName("pred_sigma")] public bool PredSigma { get; init; } = true;
    /// <summary>Width of the text encoder's features (4096 for T5-XXL).</summary>
    [JsonPropertyName("caption_channels")] public int CaptionChannels { get; init; } = 4096;
    /// <summary>Caption tokens (the null caption's length; 120 in the released models).</summary>
    [JsonPropertyName("model_max_length")] public int ModelMaxLength { get; init; } = 120;
    /// <summary>Position-embedding scale (1 for 256/512, 2 for 1024); the official code keeps it as a 1-tuple.</summary>
    [JsonPropertyName("lewei_scale"), JsonConverter(typeof(ScalarOrSingletonConverter))] public double LeweiScale { get; init; } = 1.0;
    /// <summary>
    /// Whether the caption's masked mean, through a 2-layer MLP, is added to the timestep embedding (Imagen's pooled
    /// text conditioning; PixArt-α's multi-scale models add their size conditions there the same way). Not in the
    /// released weights; the small scenes model uses it so every global attribute reaches adaLN, not only cross-attention.
    /// </summary>
    [JsonPropertyName("pooled_caption")] public bool PooledCaption { get; init; }
    /// <summary>Extra ("weak") patch sizes of a FlexiDiT; empty for a plain PixArt.</summary>
    [JsonPropertyName("flexi_patch_sizes")] public int[] FlexiPatchSizes { get; init; } = [];
    /// <summary>LoRA rank of the weak patch sizes' adapters (0: no adapters).</summary>
    [JsonPropertyName("flexi_lora_rank")] public int FlexiLoraRank { get; init; }

    /// <summary>Output channels: doubled when sigma is predicted.</summary>
    [JsonIgnore] public int OutChannels => PredSigma ? InChannels * 2 : InChannels;
    /// <summary>MLP hidden width.</summary>
    [JsonIgnore] public int MlpHidden => (int)(HiddenSize * MlpRatio);
    /// <summary>The grid the position table is defined on (<c>input_size // patch_size</c>).</summary>
    [JsonIgnore] public int BaseSize => InputSize / PatchSize;
    /// <summary>All patch sizes the model runs, original first.</summary>
    [JsonIgnore] public IReadOnlyList<int> AllPatchSizes => [PatchSize, .. FlexiPatchSizes];
    /// <inheritdoc />
    [JsonIgnore] public VarianceKind Variance => PredSigma ? VarianceKind.LearnedRange : VarianceKind.FixedLarge;
    /// <inheritdoc />
    [JsonIgnore] public bool LearnSigma => PredSigma;

    /// <inheritdoc />
    public long Flops(int patchSize, long batch = 1) => FlexiDiT.Flops.FlopCounter.Flops(this, patchSize, batch);

    /// <inheritdoc />
    public long ConditionFlops(int patchSize, long batch = 1) => 2 * FlexiDiT.Flops.FlopCounter.CaptionMultiplyAdds(this, patchSize, batch);

    /// <summary>Checks the numbers are a model that can exist and names the field that is wrong.</summary>
    public void Validate()
    {
        static void Require(bool ok, string message)
        {
            if (!ok) throw new InvalidDataException("Invalid PixArt config: " + message);
        }
        Require(InputSize > 0, $"input_size must be positive (got {InputSize})");
        Require(PatchSize > 0 && InputSize % PatchSize == 0, $"patch_size {PatchSize} must divide input_size {InputSize}");
        Require(InChannels > 0, $"in_channels must be positive (got {InChannels})");
        Require(HiddenSize > 0 && HiddenSize % 4 == 0, $"hidden_size must be a positive multiple of 4 (got {HiddenSize})");
        Require(Depth > 0, $"depth must be positive (got {Depth})");
        Require(NumHeads > 0 && HiddenSize % NumHeads == 0, $"num_heads {NumHeads} must divide hidden_size {HiddenSize}");
        Require(CaptionChannels > 0, $"caption_channels must be positive (got {CaptionChannels})");
        Require(ModelMaxLength > 0, $"model_max_length must be positive (got {ModelMaxLength})");
        Require(LeweiScale > 0, $"lewei_scale must be positive (got {LeweiScale})");
        foreach (int p in FlexiPatchSizes)
            Require(p > 0 && InputSize % p == 0 && p != PatchSize, $"flexi patch size {p} must divide input_size {InputSize} and differ from {PatchSize}");
        Require(FlexiLoraRank >= 0, $"flexi_lora_rank must be non-negative (got {FlexiLoraRank})");
    }

    /// <summary>
    /// Reads a config in the official constructor's names, or a diffusers <c>PixArtTransformer2DModel</c>
    /// <c>config.json</c> (recognised by its <c>_class_name</c> or <c>num_attention_heads</c>); extra keys are ignored.
    /// </summary>
    public static PixArtConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Model config not found: {path}", path);
        PixArtConfig? config;
        try
        {
            string json = File.ReadAllText(path);
            using var doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
            config = IsDiffusers(doc.RootElement) ? FromDiffusers(doc.RootElement, path) : JsonSerializer.Deserialize<PixArtConfig>(json, DiTConfig.JsonOptions);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Model config {path} is not valid JSON in the official PixArt names or diffusers' PixArtTransformer2DModel names: {e.Message}", e);
        }
        if (config is null) throw new InvalidDataException($"Model config {path} is empty.");
        config.Validate();
        return config;
    }

    /// <summary>Whether a JSON config file describes a PixArt model (official or diffusers names) rather than a DiT.</summary>
    public static bool Describes(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return IsDiffusers(doc.RootElement) || doc.RootElement.TryGetProperty("caption_channels", out _);
    }

    /// <summary>Whether a JSON config file is in diffusers' names (a <c>PixArtTransformer2DModel</c> <c>config.json</c>).</summary>
    public static bool IsDiffusersFile(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        return IsDiffusers(doc.RootElement);
    }

    /// <summary>
    /// An official configuration by name: <c>PixArt-XL/2</c> (the only released size: width 1152, depth 28, 16 heads,
    /// T5-XXL captions of 4096 channels, 120 tokens) at latent side <paramref name="inputSize"/> (32 for 256², 64 for
    /// 512², 128 for 1024² with lewei_scale 2).
    /// </summary>
    public static PixArtConfig Official(string name, int inputSize = 32)
    {
        ArgumentNullException.ThrowIfNull(name);
        string[] parts = name.Replace("PixArt-", "", StringComparison.OrdinalIgnoreCase).Split('/', '-');
        if (parts.Length != 2 || !parts[0].Equals("XL", StringComparison.OrdinalIgnoreCase) || !int.TryParse(parts[1], out int patch))
            throw new ArgumentException($"Unknown PixArt name '{name}'; expected PixArt-XL/2 (XL is the only released size).", nameof(name));
        var config = new PixArtConfig { InputSize = inputSize, PatchSize = patch, LeweiScale = inputSize >= 128 ? 2.0 : 1.0 };
        config.Validate();
        return config;
    }

    /// <summary>Writes the config as JSON (official names).</summary>
    public void Save(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, DiTConfig.JsonOptions));

    private static bool IsDiffusers(JsonElement root) =>
        (root.TryGetProperty("_class_name", out var name) && name.GetString()?.Contains("PixArt", StringComparison.Ordinal) == true)
        || root.TryGetProperty("num_attention_heads", out _);

    // diffusers' names: sample_size = latent side, interpolation_scale = lewei_scale, heads × head_dim = width.
    private static PixArtConfig FromDiffusers(JsonElement root, string path)
    {
        int Int(string key) => root.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Number ? v.GetInt32()
            : throw new InvalidDataException($"Diffusers config {path} has no integer '{key}', which every PixArtTransformer2DModel config has.");
        int heads = Int("num_attention_heads"), inChannels = Int("in_channels");
        int outChannels = root.TryGetProperty("out_channels", out var o) && o.ValueKind == JsonValueKind.Number ? o.GetInt32() : inChannels;
        if (outChannels != inChannels && outChannels != 2 * inChannels)
            throw new InvalidDataException($"Diffusers config {path}: out_channels {outChannels} is neither in_channels {inChannels} nor twice it.");
        double lewei = root.TryGetProperty("interpolation_scale", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : Math.Max(Int("sample_size") / 64.0, 1);
        return new PixArtConfig
        {
            InputSize = Int("sample_size"),
            PatchSize = Int("patch_size"),
            InChannels = inChannels,
            HiddenSize = heads * Int("attention_head_dim"),
            Depth = Int("num_layers"),
            NumHeads = heads,
            PredSigma = outChannels == 2 * inChannels,
            CaptionChannels = Int("caption_channels"),
            LeweiScale = lewei,
        };
    }

    /// <summary>Reads a number or a one-element array (the official <c>lewei_scale</c> is a stray 1-tuple).</summary>
    private sealed class ScalarOrSingletonConverter : JsonConverter<double>
    {
        public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Number) return reader.GetDouble();
            if (reader.TokenType != JsonTokenType.StartArray) throw new JsonException("lewei_scale must be a number or a one-element array.");
            reader.Read();
            double value = reader.GetDouble();
            reader.Read();
            if (reader.TokenType != JsonTokenType.EndArray) throw new JsonException("lewei_scale must be a number or a one-element array.");
            return value;
        }

        public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options) => writer.WriteNumberValue(value);
    }
}
