using System.Diagnostics;
using FlexiDiT.Flops;
using FlexiDiT.Models;
using FlexiDiT.Profiling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Benchmarks;

/// <summary>
/// Times the forward of a FlexiDiT with random weights at each patch size, after warm-up, under
/// inference mode, reporting the median over repeats (the machines are noisy).
/// </summary>
public static class ForwardBenchmark
{
    /// <summary>Runs the benchmark for <paramref name="config"/> (a weak patch 2× the original is added when none is configured).</summary>
    /// <param name="config">The architecture (random weights).</param>
    /// <param name="batch">Images per forward.</param>
    /// <param name="warmup">Untimed forwards per patch size.</param>
    /// <param name="repeats">Timed forwards per patch size.</param>
    /// <param name="device">Where to run (default: CPU).</param>
    /// <param name="dtype">Weights' and activations' type: float32 (default) or bfloat16.</param>
    /// <param name="peer">Another engine timed alternately with ours at its patch size, forward by forward.</param>
    /// <param name="profile">Also book the timed forwards' time by <see cref="ForwardOp"/> (CPU only: GPU ops return before they finish).</param>
    public static IReadOnlyList<ForwardTiming> Run(DiTConfig config, int batch, int warmup = 3, int repeats = 15, Device? device = null,
        ScalarType dtype = ScalarType.Float32, IForwardPeer? peer = null, bool profile = false)
    {
        device ??= CPU;
        Validate(dtype, profile, device);
        using var model = RandomModel(config, dtype, device);
        if (peer is not null && !model.Config.AllPatchSizes.Contains(peer.PatchSize))
            throw new ArgumentException($"The peer runs patch size {peer.PatchSize}; this config has {string.Join(", ", model.Config.AllPatchSizes)}.", nameof(peer));
        var results = new List<ForwardTiming>();
        using var inference = torch.inference_mode();
        var x = torch.randn([batch, config.InChannels, config.InputSize, config.InputSize], device: device).to(dtype);
        var t = torch.randint(0, 1000, [batch], device: device);
        var y = torch.randint(0, config.NumClasses, [batch], device: device);
        using var profiler = profile ? OpProfiler.Start() : null;
        foreach (int p in model.Config.AllPatchSizes)
        {
            var paired = peer is not null && peer.PatchSize == p;
            results.Add(TimePatchSize(p, config.InputSize, batch, warmup, repeats, FlopCounter.Flops(model.Config, p, batch), () => model.Forward(x, t, y, p), device,
                PrecisionName(dtype), paired ? peer : null, profiler));
        }
        return results;
    }

    /// <summary>
    /// A DiT of <paramref name="config"/> with random non-zero weights (adaLN and final layer included, so the timed work
    /// is the real work), a weak patch size 2× the original when none is configured, ready for inference as a pack loads it.
    /// </summary>
    internal static DiT RandomModel(DiTConfig config, ScalarType dtype, Device device)
    {
        var model = new DiT(config);
        OfficialInit.Apply(model);
        using (torch.no_grad()) foreach (var p in model.parameters()) p.normal_(0, 0.02);
        if (config.FlexiPatchSizes.Length == 0 && config.InputSize % (2 * config.PatchSize) == 0)
            Flexify.AddWeakPatchSize(model, 2 * config.PatchSize, config.FlexiLoraRank);
        model.to(dtype).to(device).eval();
        model.MergeAdapters();
        return model;
    }

    /// <summary>
    /// Times a PixArt-α FlexiDiT's forward with random weights and random caption features of <c>model_max_length</c>
    /// tokens, the first <paramref name="keptTokens"/> kept (all by default; a sentence through T5 keeps a few dozen, the rest
    /// is padding), a weak patch 2× the original added when none is configured. By default the forward is a sampling
    /// step's: the caption's keys and values computed by an untimed forward and kept, as a sampling run keeps them, and the
    /// FLOPs without them; with <paramref name="captionsKept"/> false every forward computes them, as a run's first step does.
    /// </summary>
    /// <param name="config">The architecture (random weights).</param>
    /// <param name="batch">Images per forward.</param>
    /// <param name="warmup">Untimed forwards per patch size.</param>
    /// <param name="repeats">Timed forwards per patch size.</param>
    /// <param name="device">Where to run (default: CPU).</param>
    /// <param name="dtype">Weights' and activations' type: float32 (default) or bfloat16 (the model takes and returns float32).</param>
    /// <param name="profile">Also book the timed forwards' time by <see cref="ForwardOp"/> (CPU only).</param>
    /// <param name="keptTokens">Caption tokens kept (1 … <c>model_max_length</c>), null for all.</param>
    /// <param name="captionsKept">Whether the caption's keys and values are kept across forwards, as in a sampling run.</param>
    public static IReadOnlyList<ForwardTiming> Run(PixArtConfig config, int batch, int warmup = 3, int repeats = 15, Device? device = null,
        ScalarType dtype = ScalarType.Float32, bool profile = false, int? keptTokens = null, bool captionsKept = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        device ??= CPU;
        Validate(dtype, profile, device);
        using var model = RandomModel(config, dtype, device);
        using var inference = torch.inference_mode();
        var x = torch.randn([batch, config.InChannels, config.InputSize, config.InputSize], device: device);
        var t = torch.randint(0, 1000, [batch], device: device);
        using var caption = RandomCaptions(config, batch, keptTokens, device);
        if (captionsKept)
        {
            caption.KeepModelCache();
            foreach (int p in model.Config.AllPatchSizes)
            {
                using var scope = torch.NewDisposeScope();
                model.Forward(x, t, caption, p);
            }
        }

        using var profiler = profile ? OpProfiler.Start() : null;
        return model.Config.AllPatchSizes.Select(p => TimePatchSize(p, config.InputSize, batch, warmup, repeats,
            model.Config.Flops(p, batch) - (captionsKept ? model.Config.ConditionFlops(p, batch) : 0),
            () => model.Forward(x, t, caption, p), device, PrecisionName(dtype), null, profiler)).ToList();
    }

    /// <summary>
    /// A PixArt-α of <paramref name="config"/> with random non-zero weights, a weak patch size 2× the original when none is
    /// configured, ready for inference as a pack loads it (adapters merged).
    /// </summary>
    internal static PixArt RandomModel(PixArtConfig config, ScalarType dtype, Device device)
    {
        var model = new PixArt(config);
        PixArtInit.Apply(model);
        using (torch.no_grad()) foreach (var p in model.parameters()) p.normal_(0, 0.02);
        if (config.FlexiPatchSizes.Length == 0 && config.InputSize % (2 * config.PatchSize) == 0)
            Flexify.AddWeakPatchSize(model, 2 * config.PatchSize, config.FlexiLoraRank);
        model.to(device).eval();
        model.MergeAdapters();
        model.to(dtype);
        return model;
    }

    /// <summary>Random caption features of <c>model_max_length</c> tokens for <paramref name="batch"/> images, the first <paramref name="keptTokens"/> kept (null: all).</summary>
    internal static CaptionCondition RandomCaptions(PixArtConfig config, int batch, int? keptTokens, Device device)
    {
        if (keptTokens is < 1 || keptTokens > config.ModelMaxLength)
            throw new ArgumentException($"Keep 1 … {config.ModelMaxLength} caption tokens (model_max_length); got {keptTokens}.", nameof(keptTokens));
        var features = torch.randn([batch, config.ModelMaxLength, config.CaptionChannels], device: device);
        var mask = (torch.arange(config.ModelMaxLength, device: device) < (keptTokens ?? config.ModelMaxLength)).to(ScalarType.Int64).unsqueeze(0).expand(batch, -1).contiguous();
        return new CaptionCondition(features, mask);
    }

    private static void Validate(ScalarType dtype, bool profile, Device device)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"The forward benchmark runs float32 or bfloat16, not {dtype}.", nameof(dtype));
        if (profile && device.type != DeviceType.CPU)
            throw new ArgumentException($"Profiling times ops as the CPU runs them; on {device.type} they run asynchronously. Profile on the CPU.", nameof(profile));
    }

    private static string PrecisionName(ScalarType dtype) => dtype == ScalarType.BFloat16 ? "bfloat16" : "float32";

    private static ForwardTiming TimePatchSize(int p, int inputSize, int batch, int warmup, int repeats, long flops, Action forward, Device device, string precision,
        IForwardPeer? peer, OpProfiler? profiler)
    {
        var times = new List<double>();
        var peerTimes = new List<double>();
        var ratios = new List<double>();
        var profiled = new List<(double, double[], int[])>();
        for (int i = 0; i < warmup + repeats; i++)
        {
            profiler?.Reset();
            double ours = TimeForward(() =>
            {
                using var scope = torch.NewDisposeScope();
                forward();
                if (device.type == DeviceType.CUDA) torch.cuda.synchronize();
            });
            double theirs = peer is not null ? TimeForward(peer.Forward) : 0;
            if (i < warmup) continue;
            times.Add(ours);
            if (profiler is not null) profiled.Add(Booked(profiler, ours));
            if (peer is null) continue;
            peerTimes.Add(theirs);
            ratios.Add(theirs / ours);
        }
        double median = Median(times);
        int tokens = (inputSize / p) * (inputSize / p);
        var peerTiming = peer is not null ? new PeerTiming(peer.Engine, Math.Round(Median(peerTimes), 2), Math.Round(Median(ratios), 3)) : null;
        return new ForwardTiming(p, tokens, batch, median, times.Min(), flops, flops / (median / 1000) / 1e9, precision, peerTiming,
            profiler is null ? null : ForwardProfile.FromForwards(profiled));
    }

    private static (double Ms, double[] OpMs, int[] OpCalls) Booked(OpProfiler profiler, double forwardMs)
    {
        var ops = Enum.GetValues<ForwardOp>();
        return (forwardMs, ops.Select(op => profiler.Elapsed(op).TotalMilliseconds).ToArray(), ops.Select(profiler.Calls).ToArray());
    }

    private static double TimeForward(Action forward)
    {
        var watch = Stopwatch.StartNew();
        forward();
        return watch.Elapsed.TotalMilliseconds;
    }

    /// <summary>The median (the mean of the middle two for an even count).</summary>
    internal static double Median(IEnumerable<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[(sorted.Length / 2) - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
