using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>The last layer: modulated by t itself plus its own table (shift first), then the de-embedding (<c>T2IFinalLayer</c>).</summary>
public sealed class T2IFinalLayer : nn.Module
{
    private readonly Linear linear;
    private readonly Parameter scale_shift_table;

    /// <summary>Creates the layer.</summary>
    public T2IFinalLayer(int hidden, int patch, int outChannels) : base("final_layer")
    {
        linear = nn.Linear(hidden, patch * patch * outChannels);
        scale_shift_table = nn.Parameter(torch.zeros(2, hidden));
        RegisterComponents();
    }

    /// <summary>The de-embedding of the original patch size.</summary>
    public Linear Linear => linear;

    /// <summary>modulate(norm(x)) → de-embedding (the original one, or a weak patch size's).</summary>
    public Tensor Forward(Tensor x, Tensor t, Linear deEmbedding)
    {
        var m = (scale_shift_table.unsqueeze(0) + t.unsqueeze(1)).chunk(2, dim: 1);
        return deEmbedding.forward(PixArtBlock.Modulate(AdaLN.Norm(x), m[0], m[1]));
    }
}
