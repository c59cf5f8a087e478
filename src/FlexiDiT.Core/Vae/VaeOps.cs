using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.Vae;

/// <summary>Shared pieces: SD's GroupNorm and running a chain of blocks without keeping its intermediates.</summary>
internal static class VaeOps
{
    public const double Eps = 1e-6;

    public static GroupNorm Create(int groups, int channels)
    {
        var norm = nn.GroupNorm(groups, channels, eps: Eps);
        // TorchSharp 0.107 allocates GroupNorm's affine parameters with torch.empty and never initialises them;
        // PyTorch starts them at ones and zeros. Without this a decoder that is not loaded computes garbage (NaN).
        using (torch.no_grad())
        {
            norm.weight.fill_(1);
            norm.bias!.zero_();
        }
        return norm;
    }

    /// <summary>Applies the steps in turn, disposing each intermediate (never <paramref name="input"/>, the caller's).</summary>
    public static Tensor Chain(Tensor input, IEnumerable<Func<Tensor, Tensor>> steps)
    {
        var x = input;
        foreach (var step in steps)
        {
            var next = step(x);
            if (!ReferenceEquals(x, input)) x.Dispose();
            x = next;
        }
        return x;
    }
}
