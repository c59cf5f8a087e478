using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>Classifier-free guidance: g + s·(c − g) on the ε channels; the rest (variance) from the conditional output.</summary>
public static class Guidance
{
    /// <summary>
    /// Guides the first <paramref name="guidedChannels"/> channels. The official DiT guides only 3 of the 4
    /// latent channels (<c>model_out[:, :3]</c>); pass 3 to reproduce its numbers, the channel count otherwise.
    /// </summary>
    public static Tensor Combine(Tensor conditional, Tensor guide, double scale, int guidedChannels)
    {
        var c = conditional[.., ..guidedChannels];
        var g = guide[.., ..guidedChannels];
        var guided = g + scale * (c - g);
        return guidedChannels == conditional.shape[1] ? guided : cat([guided, conditional[.., guidedChannels..]], dim: 1);
    }
}
