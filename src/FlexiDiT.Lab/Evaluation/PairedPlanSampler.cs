using System.Diagnostics;
using FlexiDiT.Models;
using FlexiDiT.Sampling;
using static TorchSharp.torch;

namespace FlexiDiT.Evaluation;

/// <summary>
/// Draws the images of a paired plan evaluation: every plan gets the same conditions (image i always has condition i)
/// and the same noise (batch b always starts from seed + b), so plans can be compared image by image. Wall time is
/// measured per plan in this process after one untimed warm-up, so the plans' times are comparable.
/// </summary>
/// <param name="model">The denoiser.</param>
/// <param name="images">Images per plan.</param>
/// <param name="batchSize">Images sampled together.</param>
/// <param name="seed">Noise seed of the first batch.</param>
/// <param name="conditions">The condition of images start..start+count-1 (the sampler disposes it).</param>
public sealed class PairedPlanSampler(IDenoiser model, int images, int batchSize, long seed, Func<int, int, ModelCondition> conditions)
{
    private readonly Sampler sampler = new(model ?? throw new ArgumentNullException(nameof(model)));
    private bool warmedUp;

    /// <summary>Images per plan.</summary>
    public int Images { get; } = images > 0 ? images : throw new ArgumentOutOfRangeException(nameof(images), images, "Evaluate at least one image per plan.");

    /// <summary>Images sampled together.</summary>
    public int BatchSize { get; } = batchSize > 0 ? batchSize : throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");

    /// <summary>Samples every image with <paramref name="plan"/>.</summary>
    public PlanSamples Sample(ComputePlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        WarmUp();
        var batches = new List<Tensor>();
        long flops = 0, sameStepsFull = 0;
        var watch = Stopwatch.StartNew();
        for (int start = 0, batch = 0; start < Images; start += BatchSize, batch++)
        {
            int n = Math.Min(BatchSize, Images - start);
            using var condition = conditions(start, n);
            var result = sampler.Sample(plan, condition, new SeededNoise(seed + batch));
            batches.Add(result.Samples);
            flops += result.FlopsSpent;
            sameStepsFull += result.FullComputeFlops;
        }
        watch.Stop();
        var samples = cat(batches.ToArray(), 0).clamp(-1, 1);
        foreach (var b in batches) b.Dispose();
        return new PlanSamples(samples, flops, sameStepsFull, watch.Elapsed);
    }

    // The first forwards at each patch size and batch pay one-off allocation and kernel selection costs;
    // run them untimed so the first plan's wall time is comparable with the others.
    private void WarmUp()
    {
        if (warmedUp) return;
        warmedUp = true;
        var geometry = model.Geometry;
        int weak = geometry.AllPatchSizes.Count > 1 ? geometry.AllPatchSizes[1] : geometry.PatchSize;
        var plan = ComputePlan.WeakFirst("warm-up", "4", geometry.PatchSize, weak, 2, 2, 4.0);
        using var condition = conditions(0, Math.Min(BatchSize, Images));
        sampler.Sample(plan, condition, new SeededNoise(seed)).Samples.Dispose();
    }
}
