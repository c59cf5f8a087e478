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

/// <summary>Repeatable noise from the engine's own generator: the same seed gives the same images.</summary>
public sealed class SeededNoise(long seed) : INoiseSource
{
    private readonly Generator generator = new Generator((ulong)seed);

    /// <inheritdoc />
    public Tensor Initial(long[] shape, Device device) => randn(shape, generator: generator).to(device);

    /// <inheritdoc />
    public Tensor Step(int step, long[] shape, Device device) => randn(shape, generator: generator).to(device);
}

/// <summary>Replays recorded noise (e.g. the official sampler's, from the reference vectors).</summary>
public sealed class ReplayedNoise(Tensor initial, Tensor? perStep) : INoiseSource
{
    /// <inheritdoc />
    public Tensor Initial(long[] shape, Device device) => Checked(initial, shape).to(device).clone(); // the run owns (and disposes) its x

    /// <inheritdoc />
    public Tensor Step(int step, long[] shape, Device device)
    {
        if (perStep is null) throw new InvalidOperationException("This replayed noise has no per-step noise; use a deterministic solver (DDIM with eta 0).");
        if (step >= perStep.shape[0]) throw new InvalidOperationException($"Replayed noise has {perStep.shape[0]} steps; step {step} was asked for.");
        return Checked(perStep[step], shape).to(device);
    }

    private static Tensor Checked(Tensor t, long[] shape) =>
        t.shape.SequenceEqual(shape) ? t : throw new ArgumentException($"Replayed noise has shape [{string.Join(", ", t.shape)}], the sampler needs [{string.Join(", ", shape)}].");
}
