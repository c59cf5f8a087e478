using System.Text.Json.Serialization;

namespace FlexiDiT.Models;

/// <summary>
/// A text-to-image model trained from scratch: the PixArt-α denoiser and the caption encoder that feeds it. The
/// encoder's width is the denoiser's <c>caption_channels</c> and its caption length the denoiser's <c>model_max_length</c>.
/// </summary>
public sealed record TextToImageConfig
{
    /// <summary>The denoiser.</summary>
    [JsonPropertyName("pixart")] public required PixArtConfig Denoiser { get; init; }
    /// <summary>Token ids the encoder embeds (the tokenizer's vocabulary size).</summary>
    [JsonPropertyName("vocabulary_size")] public required int VocabularySize { get; init; }
    /// <summary>Transformer layers of the caption encoder.</summary>
    [JsonPropertyName("encoder_depth")] public int EncoderDepth { get; init; } = 2;
    /// <summary>Attention heads of the caption encoder.</summary>
    [JsonPropertyName("encoder_heads")] public int EncoderHeads { get; init; } = 4;

    /// <summary>
    /// The Shapes scenes model: 32×32 RGB pixels, patch 2, caption features of width <paramref name="captionWidth"/>
    /// over <paramref name="captionTokens"/> tokens, learned variance (pred_sigma, as PixArt-α, for few-step DDPM).
    /// </summary>
    public static TextToImageConfig Scenes(int vocabularySize, int depth, int hidden, int heads, int captionWidth = 128, int captionTokens = 24, int encoderDepth = 2, int encoderHeads = 4) => new()
    {
        Denoiser = new PixArtConfig
        {
            InputSize = 32, PatchSize = 2, InChannels = 3, HiddenSize = hidden, Depth = depth, NumHeads = heads,
            CaptionChannels = captionWidth, ModelMaxLength = captionTokens, PredSigma = true, ClassDropoutProb = 0.1,
        },
        VocabularySize = vocabularySize,
        EncoderDepth = encoderDepth,
        EncoderHeads = encoderHeads,
    };

    /// <summary>Whether <paramref name="other"/> describes the same architecture (weak patch sizes included).</summary>
    // Records holding records compare by value, but the saved config's arrays (flexi patch sizes) are new instances.
    public bool SameAs(TextToImageConfig other) =>
        System.Text.Json.JsonSerializer.Serialize(this) == System.Text.Json.JsonSerializer.Serialize(other);

    /// <summary>Checks the numbers and names the field that is wrong.</summary>
    public void Validate()
    {
        Denoiser.Validate();
        if (VocabularySize <= 0) throw new InvalidDataException($"Invalid text-to-image config: vocabulary_size must be positive (got {VocabularySize}).");
        if (EncoderDepth < 0) throw new InvalidDataException($"Invalid text-to-image config: encoder_depth must be non-negative (got {EncoderDepth}).");
        if (EncoderHeads <= 0 || Denoiser.CaptionChannels % EncoderHeads != 0)
            throw new InvalidDataException($"Invalid text-to-image config: encoder_heads {EncoderHeads} must divide caption_channels {Denoiser.CaptionChannels}.");
    }
}
