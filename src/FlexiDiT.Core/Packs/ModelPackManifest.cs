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
