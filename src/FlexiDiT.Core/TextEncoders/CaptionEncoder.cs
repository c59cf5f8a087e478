using FlexiDiT.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>
/// The scene model's text encoder: token embedding + learned positions + a few pre-norm transformer layers over the
/// ids of <see cref="Prompts.Captions.SceneTokenizer"/> (Microsoft.ML.Tokenizers' WordPiece over the grammar
/// vocabulary), giving one feature per token, (N, L, C), which PixArt's caption embedder projects and its
/// cross-attention reads with the tokenizer's mask. It is trained jointly with the denoiser. Why not a frozen
/// pretrained encoder: the only one packaged here (MiniLM) returns a single pooled sentence vector, so "a red ring
/// and ..." loses which word binds to which, and it scores "a red circle" closer to "a blue square" than to "a
/// crimson disc"; per-token features of a small encoder trained on the captions' own loss keep every attribute
/// word addressable by the image tokens, at a cost (~0.5 M parameters) negligible next to the denoiser.
/// </summary>
public sealed class CaptionEncoder : nn.Module
{
    private readonly Embedding token_embedding;
    private readonly Parameter positions;
    private readonly ModuleList<CaptionEncoderLayer> layers = new();
    private readonly LayerNorm norm;

    /// <summary>Creates the encoder for <paramref name="vocabularySize"/> token ids and captions of <paramref name="maxTokens"/>.</summary>
    public CaptionEncoder(int vocabularySize, int maxTokens, int width, int depth, int heads) : base("text_encoder")
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxTokens);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(width);
        ArgumentOutOfRangeException.ThrowIfNegative(depth);
        MaxTokens = maxTokens;
        Width = width;
        token_embedding = nn.Embedding(vocabularySize, width);
        positions = nn.Parameter(torch.zeros(maxTokens, width));
        for (int i = 0; i < depth; i++) layers.Add(new CaptionEncoderLayer(width, heads));
        norm = nn.LayerNorm(width);
        RegisterComponents();
    }

    /// <summary>Tokens per caption.</summary>
    public int MaxTokens { get; }

    /// <summary>Width of the features (the denoiser's <c>caption_channels</c>).</summary>
    public int Width { get; }

    /// <summary>Token and position embeddings ~ N(0, 0.02) (as BERT); the linears keep TorchSharp's default init.</summary>
    public void Initialize(Generator? generator = null)
    {
        using var _ = torch.no_grad();
        token_embedding.weight!.copy_(torch.randn(token_embedding.weight.shape, generator: generator) * 0.02);
        positions.copy_(torch.randn(positions.shape, generator: generator) * 0.02);
    }

    /// <summary>Ids (N, L) int64 and mask (N, L), non-zero on real tokens → features (N, L, C).</summary>
    public Tensor Forward(Tensor ids, Tensor mask)
    {
        if (ids.dim() != 2 || ids.shape[1] != MaxTokens)
            throw new ArgumentException($"Caption ids must be (N, {MaxTokens}); got [{string.Join(", ", ids.shape)}]. Encode with a tokenizer of that length.", nameof(ids));
        if (!mask.shape.SequenceEqual(ids.shape))
            throw new ArgumentException($"The mask [{string.Join(", ", mask.shape)}] must match the ids [{string.Join(", ", ids.shape)}].", nameof(mask));
        var x = token_embedding.forward(ids) + positions.unsqueeze(0);
        var keyBias = KeyBias.FromKeep(mask.ne(0), x.dtype);
        foreach (var layer in layers) x = layer.Forward(x, keyBias);
        return norm.forward(x);
    }
}
