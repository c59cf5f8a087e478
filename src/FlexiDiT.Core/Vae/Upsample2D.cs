using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Vae;

/// <summary>Nearest-neighbour ×2 upsampling followed by a 3×3 conv.</summary>
public sealed class Upsample2D : nn.Module
{
    private readonly Conv2d conv;

    /// <summary>Creates the layer.</summary>
    public Upsample2D(int channels) : base("upsample")
    {
        conv = nn.Conv2d(channels, channels, kernel_size: 3, padding: 1);
        RegisterComponents();
    }

    /// <summary>Doubles height and width.</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var up = F.interpolate(x, scale_factor: [2.0, 2.0], mode: InterpolationMode.Nearest);
        return conv.forward(up).MoveToOuterDisposeScope();
    }
}
