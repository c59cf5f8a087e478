using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Diffusion;

/// <summary>
/// The official DiT Gaussian diffusion (improved-diffusion's <c>gaussian_diffusion.py</c> +
/// <c>respace.py</c>): linear β over 1000 steps, optionally respaced, ε prediction. Coefficients are
/// computed in float64 and applied in float32, as the official <c>_extract_into_tensor</c> does.
/// The sampling steps take the model output as input so callers can batch forwards however they like.
/// </summary>
public sealed class GaussianDiffusion
{
    /// <summary>Length of the original schedule.</summary>
    public const int TrainingTimesteps = 1000;

    private readonly double[] betas, alphasCumprod, alphasCumprodPrev, sqrtRecipAc, sqrtRecipm1Ac;
    private readonly double[] posteriorVariance, posteriorLogVarianceClipped, posteriorMeanCoef1, posteriorMeanCoef2, logBetas;
    private readonly double[] fixedLargeLogVariance, sqrtAc, sqrtOneMinusAc;

    /// <summary>Creates the diffusion, respaced by <paramref name="respacing"/> (null or empty: all 1000 steps).</summary>
    public GaussianDiffusion(string? respacing = null, VarianceKind variance = VarianceKind.LearnedRange)
    {
        Variance = variance;
        double[] baseBetas = LinearBetas(TrainingTimesteps);
        TimestepMap = string.IsNullOrWhiteSpace(respacing) ? Enumerable.Range(0, TrainingTimesteps).ToArray() : Respacing.Timesteps(TrainingTimesteps, respacing);
        // Respacing keeps ᾱ at the kept timesteps and derives the betas that connect them (respace.py).
        double[] baseAc = CumulativeProduct(baseBetas.Select(b => 1 - b).ToArray());
        var kept = new List<double>();
        double last = 1.0;
        foreach (int t in TimestepMap)
        {
            kept.Add(1 - baseAc[t] / last);
            last = baseAc[t];
        }
        betas = [.. kept];
        int n = betas.Length;
        alphasCumprod = CumulativeProduct(betas.Select(b => 1 - b).ToArray());
        alphasCumprodPrev = [1.0, .. alphasCumprod[..^1]];
        sqrtRecipAc = alphasCumprod.Select(a => Math.Sqrt(1 / a)).ToArray();
        sqrtRecipm1Ac = alphasCumprod.Select(a => Math.Sqrt(1 / a - 1)).ToArray();
        posteriorVariance = Enumerable.Range(0, n).Select(i => betas[i] * (1 - alphasCumprodPrev[i]) / (1 - alphasCumprod[i])).ToArray();
        posteriorLogVarianceClipped = n > 1 ? Enumerable.Range(0, n).Select(i => Math.Log(posteriorVariance[i == 0 ? 1 : i])).ToArray() : [];
        posteriorMeanCoef1 = Enumerable.Range(0, n).Select(i => betas[i] * Math.Sqrt(alphasCumprodPrev[i]) / (1 - alphasCumprod[i])).ToArray();
        posteriorMeanCoef2 = Enumerable.Range(0, n).Select(i => (1 - alphasCumprodPrev[i]) * Math.Sqrt(1 - betas[i]) / (1 - alphasCumprod[i])).ToArray();
        logBetas = betas.Select(b => Math.Log(b)).ToArray();
        double[] fixedLargeVariance = n > 1 ? [posteriorVariance[1], .. betas[1..]] : [.. betas];
        fixedLargeLogVariance = fixedLargeVariance.Select(v => Math.Log(v)).ToArray();
        sqrtAc = alphasCumprod.Select(a => Math.Sqrt(a)).ToArray();
        sqrtOneMinusAc = alphasCumprod.Select(a => Math.Sqrt(1 - a)).ToArray();
    }

    /// <summary>The variance rule.</summary>
    public VarianceKind Variance { get; }
    /// <summary>Number of (respaced) steps.</summary>
    public int NumSteps => betas.Length;
    /// <summary>The original timestep the model sees at each respaced index.</summary>
    public int[] TimestepMap { get; }
    /// <summary>The (respaced) betas, float64.</summary>
    public IReadOnlyList<double> Betas => betas;
    /// <summary>ᾱ at each respaced index.</summary>
    public IReadOnlyList<double> AlphasCumprod => alphasCumprod;

    /// <summary>The official linear schedule: β from 1e-4 to 0.02, scaled for schedules other than 1000 steps.</summary>
    public static double[] LinearBetas(int steps)
    {
        double scale = 1000.0 / steps, start = scale * 0.0001, end = scale * 0.02;
        return Enumerable.Range(0, steps).Select(i => steps == 1 ? start : start + (end - start) * i / (steps - 1)).ToArray();
    }

    private static double[] CumulativeProduct(double[] values)
    {
        var result = new double[values.Length];
        double acc = 1;
        for (int i = 0; i < values.Length; i++) result[i] = acc *= values[i];
        return result;
    }

    /// <summary>arr[indices] as a float32 (N,1,1,1) tensor on <paramref name="like"/>'s device.</summary>
    private static Tensor Extract(double[] arr, long[] indices, Tensor like) =>
        tensor(indices.Select(i => (float)arr[i]).ToArray(), [indices.Length, 1, 1, 1], device: like.device);

    /// <summary>The model's timestep for each respaced index.</summary>
    public Tensor ModelTimesteps(long[] indices, Device device) =>
        tensor(indices.Select(i => (long)TimestepMap[i]).ToArray(), device: device);

    /// <summary>q(x_t | x_0): √ᾱ x_0 + √(1-ᾱ) ε.</summary>
    public Tensor QSample(Tensor xStart, long[] indices, Tensor noise) =>
        Extract(sqrtAc, indices, xStart) * xStart + Extract(sqrtOneMinusAc, indices, xStart) * noise;

    /// <summary>The reverse step's mean, log variance and predicted x_0 from a model output (ε [, v]).</summary>
    public (Tensor Mean, Tensor LogVariance, Tensor PredXStart) PMeanVariance(Tensor modelOutput, Tensor x, long[] indices, bool clipDenoised)
    {
        long c = x.shape[1];
        Tensor eps, logVariance;
        if (Variance == VarianceKind.LearnedRange)
        {
            if (modelOutput.shape[1] != 2 * c)
                throw new ArgumentException($"A learned-range diffusion needs {2 * c} output channels (ε and v); got {modelOutput.shape[1]}.");
            var parts = modelOutput.split(c, dim: 1);
            eps = parts[0];
            var minLog = Extract(posteriorLogVarianceClipped, indices, x);
            var maxLog = Extract(logBetas, indices, x);
            var frac = (parts[1] + 1) / 2;
            logVariance = frac * maxLog + (1 - frac) * minLog;
        }
        else
        {
            eps = modelOutput.shape[1] == 2 * c ? modelOutput.split(c, dim: 1)[0] : modelOutput;
            var log = Variance == VarianceKind.FixedLarge ? fixedLargeLogVariance : posteriorLogVarianceClipped;
            logVariance = Extract(log, indices, x).expand_as(x);
        }
        var predXStart = Extract(sqrtRecipAc, indices, x) * x - Extract(sqrtRecipm1Ac, indices, x) * eps;
        if (clipDenoised) predXStart = predXStart.clamp(-1, 1);
        var mean = Extract(posteriorMeanCoef1, indices, x) * predXStart + Extract(posteriorMeanCoef2, indices, x) * x;
        return (mean, logVariance, predXStart);
    }

    /// <summary>One ancestral (DDPM) step: mean + exp(½ log σ²)·noise, without noise at index 0.</summary>
    public SolverStep DdpmStep(Tensor modelOutput, Tensor x, long[] indices, bool clipDenoised, Tensor noise)
    {
        var (mean, logVariance, predXStart) = PMeanVariance(modelOutput, x, indices, clipDenoised);
        var nonzero = NonZeroMask(indices, x);
        return new SolverStep(mean + nonzero * torch.exp(0.5 * logVariance) * noise, predXStart);
    }

    /// <summary>One DDIM step with stochasticity <paramref name="eta"/> (0: deterministic).</summary>
    public SolverStep DdimStep(Tensor modelOutput, Tensor x, long[] indices, bool clipDenoised, double eta, Tensor? noise)
    {
        var (_, _, predXStart) = PMeanVariance(modelOutput, x, indices, clipDenoised);
        var eps = (Extract(sqrtRecipAc, indices, x) * x - predXStart) / Extract(sqrtRecipm1Ac, indices, x);
        var alphaBar = Extract(alphasCumprod, indices, x);
        var alphaBarPrev = Extract(alphasCumprodPrev, indices, x);
        var sigma = eta * torch.sqrt((1 - alphaBarPrev) / (1 - alphaBar)) * torch.sqrt(1 - alphaBar / alphaBarPrev);
        var meanPred = predXStart * torch.sqrt(alphaBarPrev) + torch.sqrt(1 - alphaBarPrev - sigma * sigma) * eps;
        if (eta == 0 || noise is null) return new SolverStep(meanPred, predXStart);
        return new SolverStep(meanPred + NonZeroMask(indices, x) * sigma * noise, predXStart);
    }

    private static Tensor NonZeroMask(long[] indices, Tensor x) =>
        tensor(indices.Select(i => i != 0 ? 1f : 0f).ToArray(), [indices.Length, 1, 1, 1], device: x.device);

    /// <summary>
    /// DiT's training loss: MSE on ε plus, for a learned variance, the variational bound term with the mean
    /// frozen (so the VB term trains only the variance). Returns the per-sample loss (N).
    /// </summary>
    /// <param name="modelOutput">The model's output for <paramref name="xT"/> (ε, and the variance channels if learned).</param>
    /// <param name="xStart">The clean images.</param>
    /// <param name="xT">The noised images.</param>
    /// <param name="indices">The timestep index of each sample.</param>
    /// <param name="noise">The ε that noised each sample.</param>
    /// <param name="minSnrGamma">
    /// If set, the ε-MSE of each sample is weighted by min(SNR, γ)/SNR ("Min-SNR", Hang et al. 2023): the
    /// nearly-clean timesteps, whose gradients fight the rest, count less, which speeds up convergence
    /// of ViT/DiT diffusion models several-fold. Null: DiT's unweighted loss.
    /// </param>
    /// <param name="pixelWeights">
    /// If set, (N, 1, H, W) weights of each pixel's squared ε error (e.g. more weight where the object is); the
    /// variance term stays unweighted. Null: every pixel counts the same.
    /// </param>
    public Tensor TrainingLoss(Tensor modelOutput, Tensor xStart, Tensor xT, long[] indices, Tensor noise, double? minSnrGamma = null, Tensor? pixelWeights = null)
    {
        long c = xStart.shape[1];
        bool learned = Variance == VarianceKind.LearnedRange;
        Tensor[] parts = learned ? modelOutput.split(c, dim: 1) : [modelOutput];
        var squared = (noise - parts[0]).pow(2);
        var mse = (pixelWeights is null ? squared : squared * pixelWeights).mean([1, 2, 3]);
        if (minSnrGamma is { } gamma)
        {
            if (gamma <= 0) throw new ArgumentOutOfRangeException(nameof(minSnrGamma), gamma, "The Min-SNR γ must be positive (the paper uses 5).");
            var weights = indices.Select(i => (float)Math.Min(1.0, gamma / SignalToNoise(i))).ToArray();
            mse = mse * tensor(weights, device: xT.device);
        }
        if (!learned) return mse;
        var frozen = torch.cat([parts[0].detach(), parts[1]], dim: 1);
        var (mean, logVariance, _) = PMeanVariance(frozen, xT, indices, clipDenoised: false);
        var trueMean = Extract(posteriorMeanCoef1, indices, xT) * xStart + Extract(posteriorMeanCoef2, indices, xT) * xT;
        var trueLogVariance = Extract(posteriorLogVarianceClipped, indices, xT);
        var kl = NormalKl(trueMean, trueLogVariance, mean, logVariance).mean([1, 2, 3]) / Math.Log(2.0);
        var nll = -DiscretizedGaussianLogLikelihood(xStart, mean, 0.5 * logVariance).mean([1, 2, 3]) / Math.Log(2.0);
        var isFirst = tensor(indices.Select(i => i == 0).ToArray(), device: xT.device);
        return mse + torch.where(isFirst, nll, kl);
    }

    /// <summary>ᾱ/(1-ᾱ) at respaced index <paramref name="index"/>.</summary>
    public double SignalToNoise(long index) => alphasCumprod[index] / (1 - alphasCumprod[index]);

    private static Tensor NormalKl(Tensor mean1, Tensor logVar1, Tensor mean2, Tensor logVar2) =>
        0.5 * (-1.0 + logVar2 - logVar1 + torch.exp(logVar1 - logVar2) + (mean1 - mean2).pow(2) * torch.exp(-logVar2));

    private static Tensor DiscretizedGaussianLogLikelihood(Tensor x, Tensor means, Tensor logScales)
    {
        static Tensor Cdf(Tensor v) => 0.5 * (1.0 + torch.tanh(Math.Sqrt(2.0 / Math.PI) * (v + 0.044715 * v.pow(3))));
        var centered = x - means;
        var invStdv = torch.exp(-logScales);
        var cdfPlus = Cdf(invStdv * (centered + 1.0 / 255));
        var cdfMin = Cdf(invStdv * (centered - 1.0 / 255));
        var logCdfPlus = torch.log(cdfPlus.clamp(min: 1e-12));
        var logOneMinusCdfMin = torch.log((1 - cdfMin).clamp(min: 1e-12));
        var logDelta = torch.log((cdfPlus - cdfMin).clamp(min: 1e-12));
        return torch.where(x < -0.999, logCdfPlus, torch.where(x > 0.999, logOneMinusCdfMin, logDelta));
    }
}
