using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>Where a sampler's Gaussian noise comes from: the starting latent and each step's noise.</summary>
public interface INoiseSource
{
    /// <summary>The starting noise x_T.</summary>
    Tensor Initial(long[] shape, Device device);
    /// <summary>The noise drawn at sampling step <paramref name="step"/> (0 is the first, noisiest step).</summary>
    Tensor Step(int step, long[] shape, Device device);
}
