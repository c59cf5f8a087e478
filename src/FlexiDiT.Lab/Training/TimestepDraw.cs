using FlexiDiT.Diffusion;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Training;

/// <summary>
/// The training timesteps of a batch: uniform over the diffusion's 1000 (DiT), or with a share of the rows drawn from
/// the noisier half only. Why the share: what a scene's layout is (where the object is, the background's brightness)
/// is decided in the first, noisiest sampling steps, where the ε loss barely depends on the image and a uniform draw
/// gives that decision little gradient; a text-to-image model trained uniformly ignored its position and background
/// words (runs/shapes-t2i/eval). Measured so far: a share of 0.5 over 24 more minutes of that run changed neither
/// (runs/t2i-ab-hinoise/README.md), so it is an option to test over longer runs, not a default.
/// </summary>
public static class TimestepDraw
{
    /// <summary>
    /// <paramref name="count"/> timestep indices in [0, 1000): each row is uniform, except that a share
    /// <paramref name="highNoiseShare"/> of the rows (each with that chance) is uniform over [500, 1000). A share of 0
    /// draws exactly what DiT's loop draws from <paramref name="generator"/>, so runs started without it resume unchanged.
    /// </summary>
    public static long[] Sample(long count, Generator generator, double highNoiseShare = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ValidateShare(highNoiseShare);
        const int T = GaussianDiffusion.TrainingTimesteps;
        using var uniform = torch.randint(0, T, [count], generator: generator);
        if (highNoiseShare == 0) return uniform.data<long>().ToArray();
        using var noisy = torch.randint(T / 2, T, [count], generator: generator);
        using var pick = torch.rand(count, generator: generator).lt(highNoiseShare);
        using var drawn = torch.where(pick, noisy, uniform);
        return drawn.data<long>().ToArray();
    }

    /// <summary>Refuses a share outside [0, 1].</summary>
    public static void ValidateShare(double highNoiseShare)
    {
        if (highNoiseShare is < 0 or > 1 || double.IsNaN(highNoiseShare))
            throw new ArgumentOutOfRangeException(nameof(highNoiseShare), highNoiseShare, "The high-noise share is the chance that a row's timestep comes from the noisier half, from 0 to 1 (e.g. --high-noise-share 0.5).");
    }
}
