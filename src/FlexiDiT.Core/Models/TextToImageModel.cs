using FlexiDiT.Prompts.Captions;
using FlexiDiT.TextEncoders;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>
/// A caption encoder and the PixArt-α denoiser it feeds, trained together. Sampling goes through the engine as for
/// any denoiser: <see cref="Encode"/> turns captions into a <see cref="CaptionCondition"/> and <see cref="Denoiser"/>
/// is the <see cref="IDenoiser"/> (its learned null caption is the guidance condition).
/// </summary>
public sealed class TextToImageModel : nn.Module
{
    private readonly CaptionEncoder text_encoder;
    private readonly PixArt pixart;
    private readonly TextToImageConfig config;

    /// <summary>Creates the model (initialise or load weights before use).</summary>
    public TextToImageModel(TextToImageConfig config) : base("TextToImage")
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        this.config = config;
        text_encoder = new CaptionEncoder(config.VocabularySize, config.Denoiser.ModelMaxLength, config.Denoiser.CaptionChannels, config.EncoderDepth, config.EncoderHeads);
        pixart = new PixArt(config.Denoiser);
        RegisterComponents();
    }

    /// <summary>The configuration, with the denoiser's weak patch sizes once it is converted to a FlexiDiT.</summary>
    public TextToImageConfig Config => config with { Denoiser = pixart.Config };

    /// <summary>The denoiser the samplers run.</summary>
    public PixArt Denoiser => pixart;

    /// <summary>The caption encoder.</summary>
    public CaptionEncoder TextEncoder => text_encoder;

    /// <summary>The official initialisation of the denoiser and BERT's of the encoder.</summary>
    public void Initialize(Generator? generator = null)
    {
        text_encoder.Initialize(generator);
        PixArtInit.Apply(pixart, generator);
    }

    /// <summary>Captions → the condition the samplers take (features and the tokenizer's mask, on the model's device).</summary>
    public CaptionCondition Encode(IReadOnlyList<string> captions, SceneTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(captions);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.MaxTokens != text_encoder.MaxTokens || tokenizer.VocabularySize != Config.VocabularySize)
            throw new ArgumentException($"The tokenizer gives {tokenizer.MaxTokens} tokens over {tokenizer.VocabularySize} ids; the model takes {text_encoder.MaxTokens} over {Config.VocabularySize}.", nameof(tokenizer));
        var (ids, mask) = tokenizer.EncodeBatch(captions);
        var device = pixart.Device;
        using var _ = torch.no_grad();
        return new CaptionCondition(text_encoder.Forward(ids.to(device), mask.to(device)), mask.to(device));
    }

    /// <summary>
    /// The training forward: noisy images x (N, C, H, W), timesteps t (N), caption ids and mask (N, L); where
    /// <paramref name="dropCaption"/> (N, bool) is set, the caption is replaced by the null caption (classifier-free
    /// guidance's dropout), keeping the mask as the official <c>token_drop</c> does.
    /// </summary>
    public Tensor Forward(Tensor x, Tensor t, Tensor ids, Tensor mask, Tensor? dropCaption = null)
    {
        var features = text_encoder.Forward(ids, mask);
        if (dropCaption is not null && pixart.NullCaption is { } nullCaption)
            features = torch.where(dropCaption.view(-1, 1, 1), nullCaption.unsqueeze(0).to(features.dtype), features);
        return pixart.Forward(x, t, features, mask);
    }
}
