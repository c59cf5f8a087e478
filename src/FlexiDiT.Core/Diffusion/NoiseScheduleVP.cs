using static TorchSharp.torch;

namespace FlexiDiT.Diffusion;

/// <summary>
/// The variance-preserving forward process q(x_t | x_0) = N(α_t x_0, σ_t² I) in the continuous time of DPM-Solver,
/// built from a discrete schedule as the official <c>NoiseScheduleVP('discrete', betas=...)</c> of DPM-Solver and
/// PixArt-α does: step n of N (0-based) sits at time t_n = (n + 1)/N, and log α_t is piecewise linear in t between
/// those points (extrapolated linearly outside them), with α_t² + σ_t² = 1 and the half log-SNR λ_t = log α_t − log σ_t.
/// </summary>
/// <remarks>
/// The grid (t_n, log α_{t_n}) is kept in float32, as the official code keeps it; the functions of t are evaluated
/// in float64 on that grid (the official evaluates them in float32: the two differ at float32 round-off).
/// </remarks>
public sealed class NoiseScheduleVP
{
    // The official clips the tail of schedules whose λ falls below this near t = T (cosine schedules); the linear
    // schedule of DiT and PixArt-α ends at λ ≈ −5.06 and keeps all its steps.
    private const double ClippedLambda = -5.1;

    private readonly double[] timeGrid, logAlphaGrid;

    /// <summary>The schedule of a discrete-time model trained on <paramref name="betas"/> (β_n, n = 0..N−1).</summary>
    public NoiseScheduleVP(IReadOnlyList<double> betas)
    {
        ArgumentNullException.ThrowIfNull(betas);
        if (betas.Count < 2)
            throw new ArgumentException($"A discrete schedule needs at least 2 betas; got {betas.Count}.", nameof(betas));
        var logAlphas = new double[betas.Count];
        double sum = 0;
        for (int n = 0; n < betas.Count; n++)
        {
            if (!(betas[n] > 0 && betas[n] < 1))
                throw new ArgumentOutOfRangeException(nameof(betas), betas[n], $"Beta {n} must lie in (0, 1).");
            sum += Math.Log(1 - betas[n]);
            logAlphas[n] = 0.5 * sum;
        }
        int kept = logAlphas.Count(a => HalfLogSnr(a) >= ClippedLambda);
        if (kept < 2)
            throw new ArgumentException($"The schedule's half log-SNR falls below {ClippedLambda} from its second step on; it cannot be sampled.", nameof(betas));
        TotalN = kept;
        logAlphaGrid = logAlphas[..kept].Select(a => (double)(float)a).ToArray();
        // torch.linspace(0, 1, N + 1)[1:] in float32, as the official builds it (its rounding is that kernel's).
        using var grid = linspace(0.0, 1.0, kept + 1, dtype: float32);
        timeGrid = grid.data<float>().ToArray()[1..].Select(t => (double)t).ToArray();
    }

    /// <summary>The schedule of DiT and PixArt-α: the linear β of <see cref="GaussianDiffusion.LinearBetas"/> over 1000 steps.</summary>
    public static NoiseScheduleVP Linear() => new(GaussianDiffusion.LinearBetas(GaussianDiffusion.TrainingTimesteps));

    /// <summary>Number of discrete steps the schedule keeps (the official <c>total_N</c>).</summary>
    public int TotalN { get; }
    /// <summary>The end time T = 1 of the forward process.</summary>
    public double EndTime => 1.0;
    /// <summary>The earliest time the model was trained on, 1/N: where sampling stops.</summary>
    public double StartTime => 1.0 / TotalN;
    /// <summary>The time t_n of each discrete step (float32 values).</summary>
    public IReadOnlyList<double> TimeGrid => timeGrid;
    /// <summary>log α at each t_n: ½ log ᾱ_n (float32 values).</summary>
    public IReadOnlyList<double> LogAlphaGrid => logAlphaGrid;

    /// <summary>log α_t (the official <c>marginal_log_mean_coeff</c>).</summary>
    public double MarginalLogMeanCoeff(double t) => Interpolate(t, timeGrid, logAlphaGrid);

    /// <summary>α_t.</summary>
    public double MarginalAlpha(double t) => Math.Exp(MarginalLogMeanCoeff(t));

    /// <summary>σ_t = √(1 − α_t²).</summary>
    public double MarginalStd(double t) => Math.Sqrt(1 - Math.Exp(2 * MarginalLogMeanCoeff(t)));

    /// <summary>λ_t = log α_t − log σ_t, the half log-SNR.</summary>
    public double MarginalLambda(double t) => HalfLogSnr(MarginalLogMeanCoeff(t));

    /// <summary>The time whose half log-SNR is <paramref name="lambda"/> (the official <c>inverse_lambda</c>).</summary>
    public double InverseLambda(double lambda)
    {
        // log α = −½ log(1 + e^{−2λ}), written to stay finite for any λ.
        double y = -2 * lambda;
        double logAlpha = -0.5 * (Math.Max(0, y) + Math.Log(1 + Math.Exp(-Math.Abs(y))));
        // log α decreases with t: interpolate over the grid reversed, so that its abscissae increase.
        return Interpolate(logAlpha, logAlphaGrid.Reverse().ToArray(), timeGrid.Reverse().ToArray());
    }

    /// <summary>
    /// The time label a discrete-time model is fed at continuous time <paramref name="t"/>: (t − 1/N)·1000, in float32
    /// as the official <c>get_model_input_time</c> computes it on its float32 times (so t = 1 gives 999).
    /// </summary>
    public float ModelTime(float t) => (t - (float)(1.0 / TotalN)) * 1000f;

    private static double HalfLogSnr(double logAlpha) => logAlpha - 0.5 * Math.Log(1 - Math.Exp(2 * logAlpha));

    /// <summary>
    /// The piecewise-linear function through (xs[k], ys[k]) (xs increasing), continued by its first and last segment
    /// outside [xs[0], xs[^1]]: the official <c>interpolate_fn</c>.
    /// </summary>
    private static double Interpolate(double x, double[] xs, double[] ys)
    {
        // Segment k joins points k and k + 1; the first one whose right end reaches x, clamped to the ends.
        int k = Array.BinarySearch(xs, x);
        if (k < 0) k = ~k;
        int segment = Math.Clamp(k - 1, 0, xs.Length - 2);
        double x0 = xs[segment], x1 = xs[segment + 1], y0 = ys[segment], y1 = ys[segment + 1];
        return y0 + (x - x0) * (y1 - y0) / (x1 - x0);
    }
}
