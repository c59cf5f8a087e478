using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>The official patch embedding: a p×p convolution with stride p (<c>x_embedder.proj</c>).</summary>
public sealed class PatchEmbed : nn.Module
{
    private readonly Conv2d proj;

    /// <summary>Creates the embedding.</summary>
    public PatchEmbed(int inChannels, int hidden, int patch) : base("x_embedder")
    {
        proj = nn.Conv2d(inChannels, hidden, kernel_size: patch, stride: patch);
        RegisterComponents();
    }

    /// <summary>The convolution (weight D×C×p×p).</summary>
    public Conv2d Proj => proj;

    /// <summary>(N, C, H, W) → (N, T, D), tokens in row-major order.</summary>
    public Tensor Forward(Tensor x) => proj.forward(x).flatten(2).transpose(1, 2);
}
