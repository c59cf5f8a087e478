using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>Caption features → width D through a 2-layer MLP; holds the learned null caption (<c>CaptionEmbedder</c>).</summary>
public sealed class CaptionEmbedder : nn.Module
{
    private readonly Sequential y_proj;
    private readonly Tensor? y_embedding;

    /// <summary>Creates the embedder; <paramref name="nullTokens"/> 0 means the weights have no null caption (diffusers layout).</summary>
    public CaptionEmbedder(int captionChannels, int hidden, int nullTokens) : base("y_embedder")
    {
        y_proj = nn.Sequential(("fc1", nn.Linear(captionChannels, hidden)), ("act", nn.GELU(GELU.Approximate.tanh)), ("fc2", nn.Linear(hidden, hidden)));
        if (nullTokens > 0) y_embedding = torch.zeros(nullTokens, captionChannels);
        RegisterComponents();
    }

    /// <summary>The learned null caption (L, C) in the text encoder's space, or null if the weights have none.</summary>
    public Tensor? NullCaption => y_embedding;

    /// <summary>Projects caption features (N, L, C) → (N, L, D).</summary>
    public Tensor Forward(Tensor caption) => y_proj.forward(caption);
}
