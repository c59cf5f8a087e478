using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>Repeatable noise from the engine's own generator: the same seed gives the same images.</summary>
public sealed class SeededNoise(long seed) : INoiseSource
{
    private readonly Generator generator = new Generator((ulong)seed);

    /// <inheritdoc />
    public Tensor Initial(long[] shape, Device device) => randn(shape, generator: generator).to(device);

    /// <inheritdoc />
    public Tensor Step(int step, long[] shape, Device device) => randn(shape, generator: generator).to(device);
}
