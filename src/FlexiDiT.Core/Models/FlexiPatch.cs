using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>What a weak patch size adds to the model: its own embedding, de-embedding and size embedding.</summary>
public sealed class FlexiPatch : nn.Module
{
    private readonly PatchEmbed x_embedder;
    private readonly Linear final_linear;
    private readonly Parameter size_embed;

    /// <summary>Creates the parts for patch size <paramref name="patch"/>, zero-initialised.</summary>
    public FlexiPatch(int inChannels, int hidden, int patch, int outChannels) : base("flexi")
    {
        x_embedder = new PatchEmbed(inChannels, hidden, patch);
        final_linear = nn.Linear(hidden, patch * patch * outChannels);
        size_embed = nn.Parameter(torch.zeros(hidden));
        RegisterComponents();
    }

    /// <summary>The patch embedding of this size.</summary>
    public PatchEmbed Embedder => x_embedder;
    /// <summary>The de-embedding of this size.</summary>
    public Linear DeEmbedding => final_linear;
    /// <summary>The learned patch-size embedding added to every token.</summary>
    public Parameter SizeEmbedding => size_embed;
}
