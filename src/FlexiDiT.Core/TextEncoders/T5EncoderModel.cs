using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

// The encoder half of T5 v1.1 (Hugging Face transformers' models/t5/modeling_t5.py, T5EncoderModel). Field
// names are Hugging Face's state-dict names, so a checkpoint's keys map one to one. Each class mirrors the
// Hugging Face class of the same name; only what the encoder of a v1.1 model uses is here (no decoder, no
// cross-attention, no cache, no dropout: this is inference).

/// <summary>
/// Hugging Face's <c>T5EncoderModel</c>: token embedding (<c>shared</c>, not scaled) and the encoder stack.
/// <c>encoder.embed_tokens.weight</c> in checkpoints is the same tensor as <c>shared.weight</c> (tied).
/// </summary>
public sealed class T5EncoderModel : nn.Module
{
    private readonly Embedding shared;
    private readonly T5Stack encoder;

    /// <summary>Creates an encoder of <paramref name="config"/> with weights of <paramref name="dtype"/> (float32 or bfloat16).</summary>
    public T5EncoderModel(T5Config config, ScalarType dtype = ScalarType.Float32) : base(nameof(T5EncoderModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"T5 weights can be float32 or bfloat16, not {dtype}.", nameof(dtype));
        Config = config;
        DType = dtype;
        shared = T5Layers.Embedding(config.VocabSize, config.DModel, dtype);
        encoder = new T5Stack(config, dtype);
        RegisterComponents();
    }

    /// <summary>The encoder's shape.</summary>
    public T5Config Config { get; }

    /// <summary>The type of the weights and of the computation (float32 or bfloat16).</summary>
    public ScalarType DType { get; }

    /// <summary>
    /// <c>last_hidden_state</c> [B, T, d_model] (in <see cref="DType"/>) of <paramref name="inputIds"/> [B, T]
    /// with <paramref name="attentionMask"/> [B, T] (1 on real tokens, 0 on padding).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree or an id is outside the vocabulary.</exception>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(attentionMask);
        if (inputIds.dim() != 2 || !inputIds.shape.SequenceEqual(attentionMask.shape))
            throw new ArgumentException($"T5 input_ids [{string.Join(", ", inputIds.shape)}] and attention_mask [{string.Join(", ", attentionMask.shape)}] must both be [batch, tokens].", nameof(attentionMask));
        using var scope = torch.NewDisposeScope();
        var ids = inputIds.to(ScalarType.Int64);
        if (ids.numel() > 0 && (ids.min().item<long>() < 0 || ids.max().item<long>() >= Config.VocabSize))
            throw new ArgumentException($"T5 input_ids must lie in [0, {Config.VocabSize}) (vocab_size); got ids from {ids.min().item<long>()} to {ids.max().item<long>()}.", nameof(inputIds));
        var device = shared.weight!.device;
        var embeddings = shared.forward(ids.to(device));
        return encoder.Forward(embeddings, attentionMask.to(device)).MoveToOuterDisposeScope();
    }
}
