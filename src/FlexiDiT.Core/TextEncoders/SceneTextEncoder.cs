using FlexiDiT.Checkpoints;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>
/// Prompts → caption features for the text-to-image Shapes scenes model: the grammar's WordPiece tokenizer and the
/// <see cref="CaptionEncoder"/> trained with the model. Prompts are first rewritten into the training phrasing
/// (<see cref="TrainingPhrasing"/>: held-out synonyms become training ones, words training never used are dropped).
/// Words outside the scene world are reported by <see cref="IgnoredWords"/> (the reader's verdict), so callers can tell
/// the user what was not drawn; a prompt that names nothing of it is a <see cref="NoSceneConceptException"/>.
/// </summary>
public sealed class SceneTextEncoder : ITextEncoder
{
    private readonly CaptionEncoder encoder;
    private readonly SceneTokenizer tokenizer;

    /// <summary>Pairs a trained encoder with the tokenizer it was trained on; the encoder is disposed with this object.</summary>
    public SceneTextEncoder(CaptionEncoder encoder, SceneTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(encoder);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.MaxTokens != encoder.MaxTokens)
            throw new ArgumentException($"The tokenizer pads to {tokenizer.MaxTokens} tokens but the encoder takes {encoder.MaxTokens}.", nameof(tokenizer));
        this.encoder = encoder;
        this.tokenizer = tokenizer;
        encoder.eval();
    }

    /// <inheritdoc />
    public int Channels => encoder.Width;

    /// <inheritdoc />
    public int MaxLength => encoder.MaxTokens;

    /// <summary>
    /// Loads the encoder half (<c>text_encoder.*</c>) of a <see cref="TextToImageCheckpoint"/> with the grammar's
    /// tokenizer, checking that the tokenizer's vocabulary is the one the checkpoint embeds.
    /// </summary>
    public static SceneTextEncoder Load(string checkpointPath, Device? device = null)
    {
        var config = TextToImageCheckpoint.ReadConfig(checkpointPath);
        var tokenizer = SceneTokenizer.FromGrammar(config.Denoiser.ModelMaxLength);
        if (tokenizer.VocabularySize != config.VocabularySize)
            throw new InvalidDataException($"{checkpointPath} embeds {config.VocabularySize} token ids but this build's scene grammar has {tokenizer.VocabularySize}; the checkpoint comes from another version of the grammar.");
        var encoder = new CaptionEncoder(config.VocabularySize, config.Denoiser.ModelMaxLength, config.Denoiser.CaptionChannels, config.EncoderDepth, config.EncoderHeads);
        try
        {
            TextToImageCheckpoint.LoadPart(encoder, checkpointPath, TextToImageCheckpoint.EncoderPrefix);
        }
        catch
        {
            encoder.Dispose();
            throw;
        }
        if (device is not null) encoder.to(device);
        return new SceneTextEncoder(encoder, tokenizer);
    }

    /// <inheritdoc />
    /// <exception cref="NoSceneConceptException">A prompt (or the negative prompt) names nothing of the scene world.</exception>
    public CaptionCondition Encode(IReadOnlyList<string> prompts, string? negativePrompt = null)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new ArgumentException("Give at least one prompt.", nameof(prompts));
        var condition = EncodeRows(prompts);
        if (negativePrompt is null) return condition;
        var negative = EncodeRows(Enumerable.Repeat(negativePrompt, prompts.Count).ToArray());
        return new CaptionCondition(condition.Features, condition.Mask, negative);
    }

    /// <summary>The words the scene reader does not understand, as written.</summary>
    /// <exception cref="NoSceneConceptException">The prompt names nothing of the scene world.</exception>
    public IReadOnlyList<string> IgnoredWords(string prompt) => IgnoredWordsOf(prompt);

    /// <summary>What <see cref="IgnoredWords"/> returns, without an encoder: it depends on the grammar alone.</summary>
    /// <exception cref="NoSceneConceptException">The prompt names nothing of the scene world.</exception>
    public static IReadOnlyList<string> IgnoredWordsOf(string prompt) => SceneCaptionReader.Read(prompt).Ignored;

    private CaptionCondition EncodeRows(IReadOnlyList<string> prompts)
    {
        var (ids, mask) = tokenizer.EncodeBatch(prompts.Select(TrainingPhrasing.Rewrite).ToArray());
        var device = encoder.parameters().First().device;
        using var _ = torch.no_grad();
        return new CaptionCondition(encoder.Forward(ids.to(device), mask.to(device)), mask.to(device));
    }

    /// <summary>Frees the encoder's weights.</summary>
    public void Dispose() => encoder.Dispose();
}
