using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Vae;

/// <summary>norm → SiLU → 3×3 conv, twice, plus the input (through a 1×1 conv where the width changes).</summary>
public sealed class ResnetBlock2D : nn.Module
{
    private readonly GroupNorm norm1, norm2;
    private readonly Conv2d conv1, conv2;
    private readonly Conv2d? conv_shortcut;

    /// <summary>Creates the block; <paramref name="groups"/> is the GroupNorm group count.</summary>
    public ResnetBlock2D(int inChannels, int outChannels, int groups) : base("resnet")
    {
        norm1 = VaeOps.Create(groups, inChannels);
        conv1 = nn.Conv2d(inChannels, outChannels, kernel_size: 3, padding: 1);
        norm2 = VaeOps.Create(groups, outChannels);
        conv2 = nn.Conv2d(outChannels, outChannels, kernel_size: 3, padding: 1);
        if (inChannels != outChannels) conv_shortcut = nn.Conv2d(inChannels, outChannels, kernel_size: 1);
        RegisterComponents();
    }

    /// <summary>x + conv2(silu(norm2(conv1(silu(norm1(x)))))).</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var h = conv1.forward(F.silu(norm1.forward(x)));
        h = conv2.forward(F.silu(norm2.forward(h)));
        var shortcut = conv_shortcut is null ? x : conv_shortcut.forward(x);
        return (shortcut + h).MoveToOuterDisposeScope();
    }
}
