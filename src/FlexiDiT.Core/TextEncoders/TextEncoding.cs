using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>
/// Encoded prompts as a text-conditioned diffusion transformer takes them (PixArt-α's <c>caption</c> and its mask).
/// </summary>
/// <param name="Features">float32 [B, max_length, d_model]: the encoder's <c>last_hidden_state</c> (PixArt-α: [B, 120, 4096]).</param>
/// <param name="Mask">int64 [B, max_length]: 1 on real tokens, 0 on padding, whose features must be ignored.</param>
public sealed record TextEncoding(Tensor Features, Tensor Mask) : IDisposable
{
    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        Features.Dispose();
        Mask.Dispose();
    }
}
