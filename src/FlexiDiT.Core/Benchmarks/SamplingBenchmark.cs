using System.Diagnostics;
using FlexiDiT.Models;
using FlexiDiT.Sampling;
using static TorchSharp.torch;

namespace FlexiDiT.Benchmarks;

/// <summary>
/// Whole sampling runs of a PixArt-α FlexiDiT with random weights: full compute against the weak-first plan with the same
/// steps and guidance (the first half of the steps weak), so FlexiDiT's FLOPs saving on the text-to-image path can be set
/// against the time it saves. The two plans alternate round by round, each going first in turn; the first round warms up.
/// </summary>
public static class SamplingBenchmark
{
    /// <summary>Runs the comparison.</summary>
    /// <param name="config">The architecture (random weights; a weak patch 2× the original is added when none is configured).</param>
    /// <param name="batch">Images per run.</param>
    /// <param name="steps">DDIM steps of both plans.</param>
    /// <param name="rounds">Rounds of one run per plan; the first is not timed.</param>
    /// <param name="keptTokens">Caption tokens kept (null: all <c>model_max_length</c>).</param>
    /// <param name="guidanceScale">Classifier-free guidance (with the model's learned null caption).</param>
    /// <param name="device">Where to run (default: CPU).</param>
    /// <returns>Each plan's median time and FLOPs per image, and time saved over FLOPs saved.</returns>
    public static SamplingComparison Run(PixArtConfig config, int batch, int steps, int rounds, int? keptTokens = null, double guidanceScale = 4.5, Device? device = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (steps < 2) throw new ArgumentException($"Sample at least 2 steps, so half of them can be weak (got {steps}).", nameof(steps));
        if (rounds < 2) throw new ArgumentException($"Run at least 2 rounds: the first warms up (got {rounds}).", nameof(rounds));
        if (batch < 1) throw new ArgumentException($"A run samples at least 1 image (got {batch}).", nameof(batch));
        device ??= CPU;
        using var model = ForwardBenchmark.RandomModel(config, ScalarType.Float32, device);
        using var captions = ForwardBenchmark.RandomCaptions(config, batch, keptTokens, device);
        int powerful = model.Config.PatchSize, weak = model.Config.FlexiPatchSizes[0];
        var full = ComputePlan.Full("full", $"ddim{steps}", powerful, guidanceScale, SolverKind.Ddim);
        var weakFirst = ComputePlan.WeakFirst("weak50", $"ddim{steps}", powerful, weak, steps - (steps / 2), steps - (steps / 2), guidanceScale, solver: SolverKind.Ddim);
        var plans = new[] { full, weakFirst };
        var times = plans.ToDictionary(p => p.Name, _ => new List<double>());
        var sampler = new Sampler(model);
        for (int round = 0; round < rounds; round++)
        {
            foreach (var plan in round % 2 == 0 ? plans : plans.Reverse())
            {
                var watch = Stopwatch.StartNew();
                using (var samples = sampler.Sample(plan, captions, new SeededNoise(round)).Samples)
                {
                }

                if (round > 0) times[plan.Name].Add(watch.Elapsed.TotalMilliseconds / batch);
            }
        }

        PlanSamplingTiming Timing(ComputePlan plan) => new(plan.Name, plan.Steps.Count, plan.WeakConditionalSteps(powerful),
            Median(times[plan.Name]), SamplingRun.PlanFlops(model.Config, plan, 1) / 1e9);
        return SamplingComparison.Of(Timing(full), Timing(weakFirst), rounds - 1, batch);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
