using System.Globalization;
using System.Text.Json;

namespace FlexiDiT.TextEncoders;

/// <summary>
/// The shape of a T5 v1.1 encoder, in the names of Hugging Face's <c>T5Config</c> (<c>config.json</c>).
/// Defaults are <c>t5-v1_1-xxl</c>, PixArt-α's text encoder.
/// </summary>
public sealed record T5Config
{
    /// <summary>The only feed-forward kind supported: T5 v1.1's gated GELU (<c>wo(gelu_new(wi_0 x) · wi_1 x)</c>).</summary>
    public const string GatedGelu = "gated-gelu";

    /// <summary>Width of the token stream (<c>d_model</c>).</summary>
    public int DModel { get; init; } = 4096;
    /// <summary>Width of one attention head (<c>d_kv</c>); q/k/v are <c>num_heads · d_kv</c> wide, which need not equal <c>d_model</c>.</summary>
    public int DKv { get; init; } = 64;
    /// <summary>Inner width of the feed-forward layer (<c>d_ff</c>).</summary>
    public int DFf { get; init; } = 10240;
    /// <summary>Encoder blocks (<c>num_layers</c>).</summary>
    public int NumLayers { get; init; } = 24;
    /// <summary>Attention heads (<c>num_heads</c>).</summary>
    public int NumHeads { get; init; } = 64;
    /// <summary>Relative-position buckets (<c>relative_attention_num_buckets</c>), half for each direction.</summary>
    public int RelativeAttentionNumBuckets { get; init; } = 32;
    /// <summary>Distance beyond which relative positions share the last bucket (<c>relative_attention_max_distance</c>).</summary>
    public int RelativeAttentionMaxDistance { get; init; } = 128;
    /// <summary>Feed-forward kind (<c>feed_forward_proj</c>); only <see cref="GatedGelu"/>.</summary>
    public string FeedForwardProj { get; init; } = GatedGelu;
    /// <summary>Epsilon of every RMS norm (<c>layer_norm_epsilon</c>).</summary>
    public double LayerNormEpsilon { get; init; } = 1e-6;
    /// <summary>Rows of the token embedding (<c>vocab_size</c>; 32128 for T5, more than the 32100 tokenizer ids).</summary>
    public int VocabSize { get; init; } = 32128;

    /// <summary><c>google/t5-v1_1-xxl</c> as PixArt-α uses it.</summary>
    public static T5Config T5V11Xxl { get; } = new();

    /// <summary>Width of the concatenated attention heads (<c>num_heads · d_kv</c>).</summary>
    public int InnerDim => NumHeads * DKv;

    /// <summary>Number of encoder parameters: embedding, per block 4 attention projections, 3 FFN matrices and 2 norms, the first block's bias table, the final norm.</summary>
    public long ParameterCount =>
        (long)VocabSize * DModel
        + NumLayers * (4L * DModel * InnerDim + 3L * DModel * DFf + 2L * DModel)
        + (long)RelativeAttentionNumBuckets * NumHeads
        + DModel;

    /// <summary>One line for messages, in Hugging Face's names.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture,
        $"d_model {DModel}, d_kv {DKv}, d_ff {DFf}, num_layers {NumLayers}, num_heads {NumHeads}, relative_attention_num_buckets {RelativeAttentionNumBuckets}, relative_attention_max_distance {RelativeAttentionMaxDistance}, feed_forward_proj {FeedForwardProj}, vocab_size {VocabSize}");

    /// <summary>Checks the numbers make an encoder that can exist and names the field that is wrong.</summary>
    /// <exception cref="InvalidDataException">A field is out of range or unsupported.</exception>
    public void Validate(string source = "T5 config")
    {
        void Require(bool ok, string message)
        {
            if (!ok) throw new InvalidDataException($"Invalid T5 config ({source}): {message}.");
        }
        foreach (var (name, value) in new[] { ("d_model", DModel), ("d_kv", DKv), ("d_ff", DFf), ("num_layers", NumLayers), ("num_heads", NumHeads), ("vocab_size", VocabSize) })
            Require(value > 0, $"{name} must be positive (got {value})");
        Require(RelativeAttentionNumBuckets >= 4 && RelativeAttentionNumBuckets % 2 == 0,
            $"relative_attention_num_buckets must be even and at least 4 (got {RelativeAttentionNumBuckets}): half the buckets are for each direction, half of those exact");
        Require(RelativeAttentionMaxDistance > RelativeAttentionNumBuckets / 4,
            $"relative_attention_max_distance must exceed a quarter of the buckets, {RelativeAttentionNumBuckets / 4} (got {RelativeAttentionMaxDistance})");
        Require(FeedForwardProj == GatedGelu,
            $"feed_forward_proj '{FeedForwardProj}' is not supported; T5 v1.1 (PixArt-α's t5-v1_1-xxl) uses '{GatedGelu}'");
        Require(LayerNormEpsilon > 0 && double.IsFinite(LayerNormEpsilon), $"layer_norm_epsilon must be positive (got {LayerNormEpsilon})");
    }

    /// <summary>Reads a Hugging Face <c>config.json</c>.</summary>
    public static T5Config Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"T5 config not found: {path}", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses <paramref name="json"/> as <see cref="Load"/> does; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">Not JSON, a required field missing, a field of the wrong type, or an invalid value.</exception>
    public static T5Config Parse(string json, string source = "T5 config")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"T5 config {source} is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"T5 config {source} is not a JSON object.");
            if (root.TryGetProperty("model_type", out var type) && type.ValueKind == JsonValueKind.String && type.GetString() != "t5")
                throw new InvalidDataException($"T5 config {source} has model_type '{type.GetString()}', not 't5'.");
            int Int(string name) => root.TryGetProperty(name, out var v)
                ? v.ValueKind == JsonValueKind.Number && v.TryGetInt32(out int i) ? i
                    : throw new InvalidDataException($"T5 config {source}: '{name}' must be an integer (got {v.GetRawText()}).")
                : throw new InvalidDataException($"T5 config {source} has no '{name}'; a Hugging Face T5 config.json has d_model, d_kv, d_ff, num_layers, num_heads and vocab_size.");
            var defaults = new T5Config();
            int OptionalInt(string name, int fallback) => root.TryGetProperty(name, out _) ? Int(name) : fallback;
            string feedForward = root.TryGetProperty("feed_forward_proj", out var ff)
                ? ff.ValueKind == JsonValueKind.String ? ff.GetString()! : throw new InvalidDataException($"T5 config {source}: 'feed_forward_proj' must be a string (got {ff.GetRawText()}).")
                : "relu"; // Hugging Face's default, i.e. T5 v1.0, which is refused by Validate.
            double epsilon = root.TryGetProperty("layer_norm_epsilon", out var eps)
                ? eps.ValueKind == JsonValueKind.Number ? eps.GetDouble() : throw new InvalidDataException($"T5 config {source}: 'layer_norm_epsilon' must be a number (got {eps.GetRawText()}).")
                : defaults.LayerNormEpsilon;
            var config = new T5Config
            {
                DModel = Int("d_model"),
                DKv = Int("d_kv"),
                DFf = Int("d_ff"),
                NumLayers = Int("num_layers"),
                NumHeads = Int("num_heads"),
                RelativeAttentionNumBuckets = OptionalInt("relative_attention_num_buckets", defaults.RelativeAttentionNumBuckets),
                RelativeAttentionMaxDistance = OptionalInt("relative_attention_max_distance", defaults.RelativeAttentionMaxDistance),
                FeedForwardProj = feedForward,
                LayerNormEpsilon = epsilon,
                VocabSize = Int("vocab_size"),
            };
            config.Validate(source);
            return config;
        }
    }
}
