using System.Text.Json.Serialization;
using FlexiDiT.Sampling;

namespace FlexiDiT.Packs;

/// <summary>
/// <c>pack.json</c>: everything needed to run one model. Paths are relative to the manifest's folder or
/// absolute, so a manifest can point at large files elsewhere instead of copying them.
/// </summary>
public sealed record ModelPackManifest
{
    /// <summary>Pack name (used by <c>--model</c> and <c>ModelId</c>).</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>One-line description.</summary>
    [JsonPropertyName("description")] public string Description { get; init; } = "";
    /// <summary>What the model is conditioned on: <c>class</c> (a DiT over <see cref="Classes"/>, the default) or <c>text-to-image</c> (a PixArt-α over <see cref="TextEncoder"/>).</summary>
    [JsonPropertyName("kind")] public PackKind Kind { get; init; } = PackKind.Class;
    /// <summary>The DiT, PixArt-α or FlexiDiT checkpoint.</summary>
    [JsonPropertyName("checkpoint")] public required string Checkpoint { get; init; }
    /// <summary>Optional model config JSON (official names); FlexiDiT safetensors carry their own.</summary>
    [JsonPropertyName("config")] public string? Config { get; init; }
    /// <summary>The latent decoder, or null for a pixel-space model.</summary>
    [JsonPropertyName("vae")] public VaeReference? Vae { get; init; }
    /// <summary>Class packs: class names file, one line per class index, synonyms comma-separated; or <c>imagenet</c> for the built-in list.</summary>
    [JsonPropertyName("classes")] public string? Classes { get; init; }
    /// <summary>Text-to-image packs: the text encoder that turns prompts into the model's caption features.</summary>
    [JsonPropertyName("textEncoder")] public TextEncoderReference? TextEncoder { get; init; }
    /// <summary>Sampling defaults.</summary>
    [JsonPropertyName("defaults")] public SamplingDefaults Defaults { get; init; } = new();
    /// <summary>The named compute plans this pack offers (cheapest last is not required).</summary>
    [JsonPropertyName("plans")] public IReadOnlyList<PlanSpec> Plans { get; init; } = [];
    /// <summary>Plan table measured by <c>flexidit eval</c> (quality and FLOPs of each plan), if any.</summary>
    [JsonPropertyName("planTable")] public string? PlanTable { get; init; }
    /// <summary>The evaluation classifier (Shapes only), if any.</summary>
    [JsonPropertyName("classifier")] public string? Classifier { get; init; }
    /// <summary>Model card (Markdown).</summary>
    [JsonPropertyName("card")] public string? Card { get; init; }
}

/// <summary>What a pack's model is conditioned on.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PackKind>))]
public enum PackKind
{
    /// <summary>Class labels (DiT): prompts are matched to the pack's classes.</summary>
    [JsonStringEnumMemberName("class")] Class,
    /// <summary>Captions (PixArt-α): prompts go through the pack's text encoder.</summary>
    [JsonStringEnumMemberName("text-to-image")] TextToImage,
}

/// <summary>A text-to-image pack's text encoder.</summary>
public sealed record TextEncoderReference
{
    /// <summary><see cref="Kind"/> of T5 v1.1 with its SentencePiece tokenizer (PixArt-α).</summary>
    public const string T5 = "t5";

    /// <summary>
    /// <see cref="Kind"/> of the Shapes scenes model's own caption encoder and grammar tokenizer, whose weights are the
    /// <c>text_encoder.*</c> half of a text-to-image checkpoint (by default the pack's own).
    /// </summary>
    public const string Scenes = "scenes";

    /// <summary>Which encoder: <c>t5</c> (T5 v1.1 with its SentencePiece tokenizer, as PixArt-α) or <c>scenes</c> (the scenes model's own).</summary>
    [JsonPropertyName("kind")] public string Kind { get; init; } = T5;
    /// <summary>
    /// For <c>t5</c>, the encoder's folder (config.json, the weights, spiece.model); for <c>scenes</c>, the text-to-image
    /// checkpoint holding the encoder when it is not the pack's checkpoint (usually left out).
    /// </summary>
    [JsonPropertyName("path")] public string? Path { get; init; }
    /// <summary>The tokenizer model when it is not in <see cref="Path"/> (for <c>t5</c>: a <c>spiece.model</c>, e.g. diffusers' <c>tokenizer/spiece.model</c>).</summary>
    [JsonPropertyName("tokenizer")] public string? Tokenizer { get; init; }

    /// <summary>Whether this is the scenes model's encoder.</summary>
    [JsonIgnore] public bool IsScenes => string.Equals(Kind, Scenes, StringComparison.OrdinalIgnoreCase);
}

/// <summary>Where a pack's VAE decoder is and how latents are scaled.</summary>
public sealed record VaeReference
{
    /// <summary>VAE weights (.safetensors, .bin, .pt or .ckpt).</summary>
    [JsonPropertyName("weights")] public required string Weights { get; init; }
    /// <summary>VAE config (diffusers config.json or ldm ddconfig).</summary>
    [JsonPropertyName("config")] public required string Config { get; init; }
    /// <summary>Latent scale: images come from decoding latents / scale.</summary>
    [JsonPropertyName("scale")] public double Scale { get; init; } = 0.18215;
}

/// <summary>How a pack samples unless told otherwise.</summary>
public sealed record SamplingDefaults
{
    /// <summary>The plan used when none is asked for.</summary>
    [JsonPropertyName("plan")] public string Plan { get; init; } = "full";
    /// <summary>Default seed base.</summary>
    [JsonPropertyName("seed")] public long Seed { get; init; }
    /// <summary>Size images are shown at (an integer multiple of the native size).</summary>
    [JsonPropertyName("displaySize")] public int? DisplaySize { get; init; }
}
