using FlexiDiT.Models;

namespace FlexiDiT.TextEncoders;

/// <summary>
/// Prompts → the caption condition a text-to-image denoiser takes. T5 v1.1 with its SentencePiece tokenizer
/// (PixArt-α) is one implementation; a small caption encoder trained with its model is another.
/// </summary>
public interface ITextEncoder : IDisposable
{
    /// <summary>Width of the features (the denoiser's <c>caption_channels</c>).</summary>
    int Channels { get; }

    /// <summary>Tokens per prompt: every prompt is padded to this length, so conditions of one encoder batch together.</summary>
    int MaxLength { get; }

    /// <summary>
    /// Encodes <paramref name="prompts"/> (features and mask, one row per prompt, on the encoder's device). With a
    /// <paramref name="negativePrompt"/>, its encoding, one row per prompt, becomes the condition's
    /// <see cref="CaptionCondition.Negative"/> (what guidance steers away from); without one, guidance uses the model's own null caption.
    /// </summary>
    CaptionCondition Encode(IReadOnlyList<string> prompts, string? negativePrompt = null);

    /// <summary>The words of <paramref name="prompt"/> the encoder cannot represent and drops (empty when it reads any text).</summary>
    IReadOnlyList<string> IgnoredWords(string prompt);
}
