using System.Diagnostics;
using FlexiDiT.Engine;
using FlexiDiT.Extensions.AI;
using FlexiDiT.Packs;
using Microsoft.Extensions.AI;

namespace FlexiDiT.Cli.Benchmarks;

/// <summary>
/// Continuous batching measured end to end: the same requests through <see cref="FlexiDiTImageGenerator"/> (policy,
/// ledger, resilience pipeline, engine) one at a time, and from concurrent callers whose steps the engine batches.
/// </summary>
/// <remarks>
/// The two ways run in alternating rounds (one-at-a-time first in even rounds, concurrent first in odd ones), each on
/// its own generator and engine, so that load from other processes on a shared machine falls on both alike instead
/// of on whichever phase happened to run second.
/// </remarks>
internal static class BatchingBenchmark
{
    /// <summary>One way's figures over all rounds.</summary>
    internal sealed record Phase(int Callers, int Requests, int StepsPerImage, double Seconds, double ImagesPerSecond, double MeanLatencyMs, int LargestBatch);

    /// <summary>The whole comparison.</summary>
    internal sealed record Report(
        string Model, string Mode, string Device, int TorchThreads, int Rounds, Phase OneAtATime, Phase Concurrent, double Speedup, string Note);

    public static async Task<Report> RunAsync(string? model, string? mode, int requests, int concurrency, int rounds, CancellationToken cancellationToken)
    {
        if (concurrency < 2) throw new ArgumentException($"--concurrency must be at least 2 (got {concurrency}).");
        if (requests < concurrency) throw new ArgumentException($"--requests must be at least --concurrency ({concurrency}) (got {requests}).");
        if (rounds < 1) throw new ArgumentException($"--rounds must be at least 1 (got {rounds}).");
        var pack = ModelPack.Find(model);

        // Every round gives each caller at least one request, or the concurrent way would not be concurrent.
        rounds = Math.Min(rounds, requests / concurrency);
        int perRound = requests / rounds;

        using var scratch = new BenchmarkScratch();
        var options = scratch.OptionsFor(pack);
        options.Resilience.MaxConcurrentGenerations = Math.Max(options.Resilience.MaxConcurrentGenerations, concurrency);
        options.Resilience.MaxQueuedGenerations = Math.Max(options.Resilience.MaxQueuedGenerations, requests);
        string plan = mode ?? pack.Manifest.Defaults.Plan;

        using var sequential = new Runner(options, plan, callers: 1);
        using var concurrent = new Runner(options, plan, concurrency);
        await sequential.WarmUpAsync(cancellationToken);
        await concurrent.WarmUpAsync(cancellationToken);
        for (int round = 0; round < rounds; round++)
        {
            var (first, second) = round % 2 == 0 ? (sequential, concurrent) : (concurrent, sequential);
            await first.RunAsync(round * perRound, perRound, cancellationToken);
            await second.RunAsync(round * perRound, perRound, cancellationToken);
        }

        var one = sequential.Result();
        var many = concurrent.Result();
        return new Report(
            pack.Name, plan, "cpu", TorchSharp.torch.get_num_threads(), rounds, one, many,
            Math.Round(many.ImagesPerSecond / one.ImagesPerSecond, 2),
            $"{Environment.ProcessorCount} cores; largest batch counts single-image forwards (a guided image is 2)");
    }

    /// <summary>One way of calling: its own generator and engine, so its largest batch is its own.</summary>
    private sealed class Runner(FlexiDiTOptions options, string plan, int callers) : IDisposable
    {
        private readonly FlexiDiTImageGenerator generator = new(options);
        private readonly List<double> latencies = [];
        private TimeSpan elapsed;
        private int steps;

        private IReadOnlyList<string> Classes => generator.Runtime.DefaultModel.Pack.ClassNames;

        /// <summary>Loads the model (calibrating if needed) and JIT-compiles the path; not timed.</summary>
        public async Task WarmUpAsync(CancellationToken cancellationToken)
        {
            var response = await generator.GenerateImagesAsync(Classes[0], Request(-1), cancellationToken);
            steps = response.GetFlexiDiTReport()!.Steps;
        }

        public async Task RunAsync(int first, int count, CancellationToken cancellationToken)
        {
            int next = first - 1, end = first + count;
            var watch = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, callers).Select(_ => Task.Run(async () =>
            {
                for (int i = Interlocked.Increment(ref next); i < end; i = Interlocked.Increment(ref next))
                {
                    var started = Stopwatch.GetTimestamp();
                    await generator.GenerateImagesAsync(Classes[i % Classes.Count], Request(i), cancellationToken);
                    lock (latencies) latencies.Add(Stopwatch.GetElapsedTime(started).TotalMilliseconds);
                }
            }, cancellationToken)));
            elapsed += watch.Elapsed;
        }

        public Phase Result()
        {
            double seconds = elapsed.TotalSeconds;
            return new Phase(callers, latencies.Count, steps, Math.Round(seconds, 3), Math.Round(latencies.Count / seconds, 3),
                Math.Round(latencies.Average(), 1), generator.GetService<GenerationEngine>()!.LargestBatch);
        }

        public void Dispose() => generator.Dispose();

        private ImageGenerationOptions Request(int seed) => new ImageGenerationOptions().WithMode(plan).WithSeed(seed);
    }
}
