using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

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
