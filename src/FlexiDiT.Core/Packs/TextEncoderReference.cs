using System.Text.Json.Serialization;

namespace FlexiDiT.Packs;

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
