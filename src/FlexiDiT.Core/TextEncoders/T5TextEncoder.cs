using FlexiDiT.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>
/// Prompts → <see cref="TextEncoding"/>: T5's tokenizer and encoder together, as PixArt-α encodes captions
/// (120 tokens, <c>&lt;/s&gt;</c>, padding masked).
/// </summary>
public sealed class T5TextEncoder : ITextEncoder
{
    /// <summary>Pairs a loaded tokenizer and encoder; the encoder is disposed with this object.</summary>
    public T5TextEncoder(T5Tokenizer tokenizer, T5EncoderModel model, int maxLength = T5EncoderOptions.PixArtMaxLength)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(model);
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be at least 1 (room for </s>).");
        if (tokenizer.PieceCount > model.Config.VocabSize)
            throw new ArgumentException($"The tokenizer has {tokenizer.PieceCount} pieces but the encoder's vocab_size is {model.Config.VocabSize}; they are not from the same model.", nameof(tokenizer));
        Tokenizer = tokenizer;
        Model = model;
        MaxLength = maxLength;
    }

    /// <summary>The tokenizer.</summary>
    public T5Tokenizer Tokenizer { get; }

    /// <summary>The encoder.</summary>
    public T5EncoderModel Model { get; }

    /// <summary>Tokens per prompt.</summary>
    public int MaxLength { get; }

    /// <inheritdoc />
    public int Channels => Model.Config.DModel;

    /// <summary>
    /// Loads <paramref name="spiecePath"/> and the encoder in <paramref name="modelPath"/> (see
    /// <see cref="T5Checkpoint.Load(string, string?, T5EncoderOptions?)"/>).
    /// </summary>
    public static T5TextEncoder Load(string modelPath, string spiecePath, string? configPath = null, T5EncoderOptions? options = null)
    {
        options ??= new T5EncoderOptions();
        var tokenizer = T5Tokenizer.Load(spiecePath);
        var model = T5Checkpoint.Load(modelPath, configPath, options);
        try
        {
            return new T5TextEncoder(tokenizer, model, options.MaxLength);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Encodes <paramref name="prompts"/>: features float32 [B, max_length, d_model] on the encoder's device, mask int64 [B, max_length] there too.</summary>
    public TextEncoding Encode(IReadOnlyList<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        if (prompts.Count == 0) throw new ArgumentException("Give at least one prompt.", nameof(prompts));
        using var tokens = Tokenizer.Encode(prompts, MaxLength);
        // no_grad rather than inference_mode: inference tensors could not be changed in place by the caller later.
        using var _ = torch.no_grad();
        using var hidden = Model.Forward(tokens.InputIds, tokens.AttentionMask);
        return new TextEncoding(hidden.to(ScalarType.Float32, copy: true), tokens.AttentionMask.to(hidden.device, copy: true));
    }

    /// <inheritdoc />
    public CaptionCondition Encode(IReadOnlyList<string> prompts, string? negativePrompt = null)
    {
        var encoding = Encode(prompts);
        CaptionCondition? negative = null;
        if (negativePrompt is not null)
        {
            var n = Encode([negativePrompt]);
            negative = new CaptionCondition(n.Features.expand(prompts.Count, -1, -1).contiguous(), n.Mask.expand(prompts.Count, -1).contiguous());
            n.Dispose();
        }
        return new CaptionCondition(encoding.Features, encoding.Mask, negative);
    }

    /// <summary>None: SentencePiece represents any text (unknown characters become &lt;unk&gt;, which T5 still reads).</summary>
    public IReadOnlyList<string> IgnoredWords(string prompt) => [];

    /// <summary>
    /// Loads a T5 encoder folder as the packs hold it: its weights and <c>config.json</c> (see
    /// <see cref="T5Checkpoint.Load(string, string?, T5EncoderOptions?)"/>) and <c>spiece.model</c>.
    /// </summary>
    public static T5TextEncoder LoadFolder(string folder, T5EncoderOptions? options = null)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"Text encoder folder '{folder}' does not exist (it holds config.json, the weights and spiece.model).");
        var spiece = Path.Combine(folder, "spiece.model");
        if (!File.Exists(spiece)) throw new FileNotFoundException($"'{folder}' has no spiece.model (T5's SentencePiece tokenizer, from the t5-v1_1 repository).", spiece);
        return Load(folder, spiece, null, options);
    }

    /// <summary>Frees the encoder's weights.</summary>
    public void Dispose() => Model.Dispose();
}
