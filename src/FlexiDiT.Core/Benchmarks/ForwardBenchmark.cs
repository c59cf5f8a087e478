using System.Diagnostics;
using FlexiDiT.Flops;
using FlexiDiT.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Benchmarks;

/// <summary>One patch size's forward timing.</summary>
/// <param name="PatchSize">Patch size.</param>
/// <param name="Tokens">Tokens per image.</param>
/// <param name="Batch">Images per forward.</param>
/// <param name="MedianMs">Median milliseconds per forward.</param>
/// <param name="MinMs">Fastest forward.</param>
/// <param name="Flops">FLOPs per forward (2 per multiply-add).</param>
/// <param name="GflopsPerSecond">Achieved GFLOP/s at the median.</param>
public sealed record ForwardTiming(int PatchSize, int Tokens, int Batch, double MedianMs, double MinMs, long Flops, double GflopsPerSecond);

/// <summary>
/// Times the forward of a FlexiDiT with random weights at each patch size, after warm-up, under
/// inference mode, reporting the median over repeats (the machines are noisy).
/// </summary>
public static class ForwardBenchmark
{
    /// <summary>Runs the benchmark for <paramref name="config"/> (a weak patch 2× the original is added when none is configured).</summary>
    public static IReadOnlyList<ForwardTiming> Run(DiTConfig config, int batch, int warmup = 3, int repeats = 15, Device? device = null)
    {
        device ??= CPU;
        using var model = new DiT(config);
        OfficialInit.Apply(model);
        // Random (non-zero) adaLN and final weights, so the timed work is the real work.
        using (torch.no_grad()) foreach (var p in model.parameters()) p.normal_(0, 0.02);
        if (config.FlexiPatchSizes.Length == 0 && config.InputSize % (2 * config.PatchSize) == 0)
            Flexify.AddWeakPatchSize(model, 2 * config.PatchSize, config.FlexiLoraRank);
        model.to(device).eval();
        var results = new List<ForwardTiming>();
        using var inference = torch.inference_mode();
        var x = torch.randn([batch, config.InChannels, config.InputSize, config.InputSize], device: device);
        var t = torch.randint(0, 1000, [batch], device: device);
        var y = torch.randint(0, config.NumClasses, [batch], device: device);
        foreach (int p in model.Config.AllPatchSizes)
        {
            var times = new List<double>();
            for (int i = 0; i < warmup + repeats; i++)
            {
                using var scope = torch.NewDisposeScope();
                var watch = Stopwatch.StartNew();
                model.Forward(x, t, y, p);
                if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
                watch.Stop();
                if (i >= warmup) times.Add(watch.Elapsed.TotalMilliseconds);
            }
            times.Sort();
            double median = times[times.Count / 2];
            long flops = FlopCounter.Flops(model.Config, p, batch);
            int tokens = (config.InputSize / p) * (config.InputSize / p);
            results.Add(new ForwardTiming(p, tokens, batch, median, times[0], flops, flops / (median / 1000) / 1e9));
        }
        return results;
    }
}
