using System.Diagnostics;
using FlexiDiT.Extensions.AI;
using FlexiDiT.Packs;
using Microsoft.Extensions.AI;

namespace FlexiDiT.Cli.Benchmarks;

/// <summary>
/// <c>flexidit bench --savings</c>: whether a cheaper plan's FLOPs saving shows up as wall time, end to end through the
/// <see cref="IImageGenerator"/> (queue, sampling, PNG encoding), as a user calling <c>generate</c> sees it. The plan and
/// its reference (full compute) run in alternating rounds on one generator, reference first in even rounds, so load from
/// other processes falls on both alike; the figure is time saved / FLOPs saved (1: every FLOP saved is time saved).
/// </summary>
internal static class SavingsBenchmark
{
    /// <summary>One plan's figures over all rounds.</summary>
    internal sealed record PlanTiming(string Plan, int Steps, int WeakSteps, int Images, double MsPerImage, double GflopsPerImage);

    /// <summary>The comparison.</summary>
    /// <param name="Model">The pack.</param>
    /// <param name="Cpu">The CPU's model name.</param>
    /// <param name="TorchThreads">libtorch's threads.</param>
    /// <param name="Rounds">Alternating rounds run.</param>
    /// <param name="ImagesPerRequest">Images each request asked for (they are sampled together).</param>
    /// <param name="Reference">The reference plan's timing (full compute).</param>
    /// <param name="Plan">The cheaper plan's timing.</param>
    /// <param name="FlopsSaved">1 − plan FLOPs / reference FLOPs, per image.</param>
    /// <param name="TimeSaved">1 − plan time / reference time, per image, end to end.</param>
    /// <param name="TimeSavedPerFlopSaved">Time saved over FLOPs saved (issue 22's target: ≥ 0.9).</param>
    /// <param name="SameSteps">
    /// True when both plans run the same steps: then the saving is FlexiDiT's alone. Otherwise it also holds the
    /// fewer-steps saving, and the note says so.
    /// </param>
    /// <param name="Note">Whose saving it is, in words.</param>
    internal sealed record Report(
        string Model, string Cpu, int TorchThreads, int Rounds, int ImagesPerRequest, PlanTiming Reference, PlanTiming Plan,
        double FlopsSaved, double TimeSaved, double TimeSavedPerFlopSaved, bool SameSteps, string Note);

    public static async Task<Report> RunAsync(string? model, string plan, string reference, int requests, int imagesPerRequest, int rounds, string cpu, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(plan);
        ArgumentException.ThrowIfNullOrWhiteSpace(reference);
        if (plan == reference) throw new ArgumentException($"--mode and --reference are both '{plan}': compare a cheaper plan with full compute (e.g. --mode weak50 --reference full).");
        if (rounds < 2) throw new ArgumentException($"--rounds must be at least 2 so that each plan runs first once (got {rounds}).");
        if (requests < 1) throw new ArgumentException($"--requests must be at least 1 (got {requests}).");
        if (imagesPerRequest is < 1 or > 16) throw new ArgumentException($"--count must be 1 to 16 images per request (got {imagesPerRequest}).");
        var pack = ModelPack.Find(model);
        if (pack.Manifest.TextEncoder is not null)
            throw new ArgumentException($"Pack {pack.Name} is text-to-image; --savings times class packs (give --model a class pack).");

        using var scratch = new BenchmarkScratch();
        using var generator = new FlexiDiTImageGenerator(scratch.OptionsFor(pack));
        var classes = generator.Runtime.DefaultModel.Pack.ClassNames;
        var timings = new Dictionary<string, (TimeSpan Elapsed, int Images, FlexiDiTGenerationReport Report)>();

        async Task<FlexiDiTGenerationReport> Generate(string mode, int index)
        {
            var report = (await generator.GenerateImagesAsync(classes[index % classes.Count], new ImageGenerationOptions { Count = imagesPerRequest }.WithMode(mode).WithSeed(index), cancellationToken))
                .GetFlexiDiTReport()!;
            // A fallback would time another plan than the one named.
            if (report.DecidedMode != mode)
                throw new InvalidOperationException($"The policy ran '{report.DecidedMode}' instead of '{mode}' ({report.Reason}); a benchmark must time the plan it names.");
            return report;
        }

        // Loads the model, calibrates if needed and warms both paths; not timed.
        await Generate(reference, 0);
        await Generate(plan, 0);
        for (int round = 0; round < rounds; round++)
        {
            foreach (string mode in round % 2 == 0 ? [reference, plan] : new[] { plan, reference })
            {
                FlexiDiTGenerationReport? last = null;
                var watch = Stopwatch.StartNew();
                // The same classes and seeds for both plans: request i of every round is the same request.
                for (int i = 0; i < requests; i++) last = await Generate(mode, round * requests + i);
                var sofar = timings.GetValueOrDefault(mode);
                timings[mode] = (sofar.Elapsed + watch.Elapsed, sofar.Images + requests * imagesPerRequest, last!);
            }
        }

        PlanTiming Timing(string mode)
        {
            var (elapsed, count, report) = timings[mode];
            return new PlanTiming(report.DecidedMode, report.Steps, report.WeakSteps, count,
                Math.Round(elapsed.TotalMilliseconds / count, 1), Math.Round(report.FlopsSpent / 1e9 / report.Count, 3));
        }

        var referenceTiming = Timing(reference);
        var planTiming = Timing(plan);
        double flopsSaved = 1 - planTiming.GflopsPerImage / referenceTiming.GflopsPerImage;
        double timeSaved = 1 - planTiming.MsPerImage / referenceTiming.MsPerImage;
        bool sameSteps = planTiming.Steps == referenceTiming.Steps;
        string note = sameSteps
            ? $"Both plans run {planTiming.Steps} steps: the saving is FlexiDiT's alone."
            : $"The plans run different steps ({planTiming.Steps} vs {referenceTiming.Steps}): the saving also holds the fewer-steps saving; for FlexiDiT's alone compare with full compute at {planTiming.Steps} steps.";
        return new Report(pack.Name, cpu, TorchSharp.torch.get_num_threads(), rounds, imagesPerRequest, referenceTiming, planTiming,
            Math.Round(flopsSaved, 4), Math.Round(timeSaved, 4), Math.Round(flopsSaved > 0 ? timeSaved / flopsSaved : double.NaN, 3), sameSteps, note);
    }
}
