using System.CommandLine;
using System.Text.Json;
using FlexiDiT.Benchmarks;
using FlexiDiT.Cli.Benchmarks;
using FlexiDiT.Engine;
using FlexiDiT.Models;
using FlexiDiT.Platform;
using FlexiDiT.Sampling;

namespace FlexiDiT.Cli.Commands;

/// <summary>
/// <c>flexidit bench</c>: forward speed of a DiT config at each patch size of its FlexiDiT; with <c>--batching</c>,
/// throughput of the real generator one request at a time against concurrent callers (continuous batching).
/// </summary>
internal static class BenchCommand
{
    // Every --json report: indented, camelCase names.
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase };

    public static Command Create()
    {
        var depth = new Option<int>("--depth") { DefaultValueFactory = _ => 12, Description = "Blocks (DiT-S: 12)" };
        var hidden = new Option<int>("--hidden") { DefaultValueFactory = _ => 384, Description = "Width (DiT-S: 384)" };
        var heads = new Option<int?>("--heads") { Description = "Heads (default: the official value for the width)" };
        var patch = new Option<int>("--patch") { DefaultValueFactory = _ => 2, Description = "Original patch size; the weak one is twice it" };
        var inputSize = new Option<int>("--input-size") { DefaultValueFactory = _ => 32, Description = "Latent side (256² images: 32)" };
        var inChannels = new Option<int>("--in-channels") { DefaultValueFactory = _ => 4, Description = "Input channels" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 2, Description = "Images per forward" };
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 15, Description = "Timed forwards per patch size" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var profile = new Option<bool>("--profile") { Description = "Also show where each forward's time goes: ms and % per kind of op (patch embedding, adaLN, qkv, attention, MLP, norms, ...), CPU only" };
        var peer = new Option<string?>("--peer") { Description = "ONNX model of the same DiT (inputs x, t, y; e.g. the official DiT exported) timed by ONNX Runtime alternately with ours, reported as a ratio" };
        var peerPatch = new Option<int?>("--peer-patch") { Description = "Patch size the --peer model runs (default: --patch)" };
        var precision = new Option<string>("--precision") { DefaultValueFactory = _ => "float32", Description = "auto, float32 or bfloat16 (auto: bfloat16 only where the CPU has it natively; bfloat16 is refused where it would be emulated)" };
        var batching = new Option<bool>("--batching") { Description = "Instead: requests/s of the generator, one at a time vs concurrent callers (prints JSON)" };
        var concurrency = new Option<int>("--concurrency") { DefaultValueFactory = _ => 4, Description = "With --batching: concurrent callers" };
        var requests = new Option<int>("--requests") { DefaultValueFactory = _ => 16, Description = "With --batching: requests for each way of calling; with --savings: requests per plan and round" };
        var rounds = new Option<int>("--rounds") { DefaultValueFactory = _ => 4, Description = "With --batching, --savings, --training or --pixart --sampling: alternating rounds (with --training and --sampling the first is warm-up)" };
        var training = new Option<bool>("--training") { Description = "Instead: seconds per training step on Shapes (depth, width, heads, batch from the options; --repeats steps per round), float32 vs --bf16 (prints JSON)" };
        var model = new Option<string?>("--model") { Description = "With --batching: model pack (default: the shipped Shapes FlexiDiT)" };
        var mode = new Option<string?>("--mode") { Description = "With --batching: plan every request runs (default: the pack's default plan); with --savings: the cheaper plan (default weak50)" };
        var savings = new Option<bool>("--savings") { Description = "Instead: end-to-end generator time of a cheaper plan (--mode) against its reference (--reference), alternating rounds of --requests images; reports time saved / FLOPs saved" };
        var count = new Option<int>("--count") { DefaultValueFactory = _ => 1, Description = "With --savings: images per request (an agent asks for 1; a batch job for more)" };
        var singleThreadBelow = new Option<double?>("--single-thread-below") { Description = "GFLOPs under which a forward runs on one thread (default 1; 0: never), to measure that rule (ForwardThreads)" };
        var linear = new Option<string?>("--linear") { Description = $"Which library multiplies float32 linear layers on the CPU: auto (on a non-Intel CPU: packed where it has AVX2 and FMA, else OpenBLAS where installed), torch, openblas or packed (the engine's kernel on packed weights: AVX-512 on Intel CPUs that have it, else AVX2; ${PackedGemm.VectorVariable}=256 or 512 chooses) (default: ${CpuLinear.Variable}, else auto); compare: time the forward with every backend here in rotation, forward by forward, and report each one's paired speed-up over torch (--rounds rounds)" };
        var pixart = new Option<bool>("--pixart") { Description = "Time PixArt-α's architecture instead of DiT's (cross-attention to --caption-tokens caption tokens of --caption-channels features, the first --caption-kept of them kept, all by default; the same --depth, --hidden, --heads, --patch; PixArt-XL/2: --depth 28 --hidden 1152 --heads 16)" };
        var captionChannels = new Option<int>("--caption-channels") { DefaultValueFactory = _ => 4096, Description = "With --pixart: the text encoder's feature width (T5-XXL: 4096)" };
        var captionTokens = new Option<int>("--caption-tokens") { DefaultValueFactory = _ => 120, Description = "With --pixart: caption tokens (the released models: 120)" };
        var captionKept = new Option<int?>("--caption-kept") { Description = "With --pixart: caption tokens kept by the mask, the first ones (default: all; a sentence through T5 keeps a few dozen of 120)" };
        var captionRecomputed = new Option<bool>("--caption-recomputed") { Description = "With --pixart: every forward computes the caption's keys and values, as a sampling run's first step at each patch size does (default: kept from the first forward, as the run's other steps)" };
        var sampling = new Option<bool>("--sampling") { Description = "With --pixart: whole DDIM sampling runs instead of forwards, full compute against the weak-first plan with the same steps and guidance (half the steps weak), alternating --rounds rounds (the first warms up); reports time saved / FLOPs saved" };
        var samplingSteps = new Option<int>("--steps") { DefaultValueFactory = _ => 10, Description = "With --pixart --sampling: DDIM steps of both plans" };
        var reference = new Option<string>("--reference") { DefaultValueFactory = _ => "full", Description = "With --savings: the plan the saving is measured against (full compute at the same steps and guidance for FlexiDiT's saving)" };
        var command = new Command("bench", "Median forward time, FLOPs and GFLOP/s of a DiT config at each FlexiDiT patch size (random weights); --batching: generator throughput; --training: float32 vs bfloat16 training steps")
        { depth, hidden, heads, patch, inputSize, inChannels, batch, repeats, json, profile, peer, peerPatch, precision, batching, concurrency, requests, rounds, model, mode, training, savings, reference, singleThreadBelow, count, linear, pixart, captionChannels, captionTokens, captionKept, captionRecomputed, sampling, samplingSteps };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var comparingLinears = parse.GetValue(linear) == "compare";
            if (parse.GetValue(linear) is { } linearName && !comparingLinears) CpuLinear.Backend = CpuLinear.Parse(linearName, "--linear");
            if (parse.GetValue(batching))
            {
                var report = await BatchingBenchmark.RunAsync(
                    parse.GetValue(model), parse.GetValue(mode), parse.GetValue(requests), parse.GetValue(concurrency), parse.GetValue(rounds), cancellationToken);
                Console.WriteLine(JsonSerializer.Serialize(report, Json));
                return 0;
            }

            if (parse.GetValue(singleThreadBelow) is { } gflops)
            {
                if (gflops < 0) throw new ArgumentException($"--single-thread-below must be 0 or more GFLOPs (got {gflops}).");
                ForwardThreads.SingleThreadBelowFlops = (long)(gflops * 1e9);
            }
            if (parse.GetValue(savings))
            {
                var report = await SavingsBenchmark.RunAsync(parse.GetValue(model), parse.GetValue(mode) ?? "weak50", parse.GetValue(reference)!,
                    parse.GetValue(requests), parse.GetValue(count), parse.GetValue(rounds), CpuName(), cancellationToken);
                if (parse.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(report, Json));
                    return 0;
                }
                PrintSaving($"{report.Model}, {report.Cpu}, {report.TorchThreads} threads, {report.Rounds} alternating rounds of {report.Plan.Images / report.Rounds} images each, {report.ImagesPerRequest} per request",
                    [(report.Reference.Plan, report.Reference.Steps, report.Reference.WeakSteps, report.Reference.GflopsPerImage, report.Reference.MsPerImage),
                     (report.Plan.Plan, report.Plan.Steps, report.Plan.WeakSteps, report.Plan.GflopsPerImage, report.Plan.MsPerImage)],
                    report.FlopsSaved, report.TimeSaved, report.TimeSavedPerFlopSaved, report.Note);
                return 0;
            }

            if (parse.GetValue(training))
            {
                var timing = TrainingBenchmark.Run(parse.GetValue(depth), parse.GetValue(hidden), parse.GetValue(heads), parse.GetValue(batch),
                    stepsPerRound: parse.GetValue(repeats), rounds: parse.GetValue(rounds));
                Console.WriteLine(JsonSerializer.Serialize(new { threads = TorchSharp.torch.get_num_threads(), nativeBfloat16 = NativeBFloat16.OnThisCpu, timing },
                    Json));
                return 0;
            }

            var config = new DiTConfig
            {
                Depth = parse.GetValue(depth), HiddenSize = parse.GetValue(hidden), NumHeads = parse.GetValue(heads),
                PatchSize = parse.GetValue(patch), InputSize = parse.GetValue(inputSize), InChannels = parse.GetValue(inChannels),
            };
            if (comparingLinears)
            {
                var timings = LinearBackendComparison.Run(config, parse.GetValue(batch), parse.GetValue(rounds));
                if (parse.GetValue(json))
                {
                    Console.WriteLine(JsonSerializer.Serialize(new { threads = TorchSharp.torch.get_num_threads(), cpu = CpuName(), openBlas = OpenBlas.IsAvailable ? OpenBlas.Configuration : null, timings },
                        Json));
                    return 0;
                }
                Console.WriteLine($"DiT depth {config.Depth}, width {config.HiddenSize}, {config.InputSize}²×{config.InChannels}, batch {parse.GetValue(batch)}, float32, {TorchSharp.torch.get_num_threads()} threads, {CpuName()}; {(OpenBlas.IsAvailable ? OpenBlas.Configuration : "OpenBLAS not installed")}");
                foreach (var patchTimings in timings.GroupBy(r => (r.PatchSize, r.Tokens)))
                {
                    var row = string.Join("  ", patchTimings.Select(r => r.Backend == "torch" ? $"torch {r.MedianMs,8:F1} ms" : $"{r.Backend} {r.MedianMs,8:F1} ms ({r.SpeedupOverTorch:F2}×)"));
                    Console.WriteLine($"patch {patchTimings.Key.PatchSize}: {patchTimings.Key.Tokens,4} tokens  {row}");
                }
                Console.WriteLine($"(×: torch's ms / the backend's ms, median over {timings[0].Rounds} rounds of one forward per backend in rotating order)");
                return 0;
            }

            var dtype = InferencePrecisionExtensions.Parse(parse.GetValue(precision)!, "--precision").Resolve(option: "--precision");
            if (parse.GetValue(pixart))
            {
                if (comparingLinears || parse.GetValue(peer) is not null)
                    throw new ArgumentException("--pixart times the forward alone; --linear compare and --peer take DiT configs.");
                var pixArtConfig = new PixArtConfig
                {
                    Depth = config.Depth, HiddenSize = config.HiddenSize, NumHeads = parse.GetValue(heads) ?? config.Heads, PatchSize = config.PatchSize,
                    InputSize = config.InputSize, InChannels = config.InChannels, CaptionChannels = parse.GetValue(captionChannels), ModelMaxLength = parse.GetValue(captionTokens),
                };
                pixArtConfig.Validate();
                var kept = parse.GetValue(captionKept);
                if (parse.GetValue(sampling))
                {
                    if (dtype != TorchSharp.torch.ScalarType.Float32) throw new ArgumentException("--sampling runs float32; drop --precision.");
                    var comparison = SamplingBenchmark.Run(pixArtConfig, parse.GetValue(batch), parse.GetValue(samplingSteps), parse.GetValue(rounds), kept);
                    if (parse.GetValue(json))
                    {
                        Console.WriteLine(JsonSerializer.Serialize(new { config = new { depth = pixArtConfig.Depth, hidden = pixArtConfig.HiddenSize, heads = pixArtConfig.NumHeads, captionKept = kept ?? pixArtConfig.ModelMaxLength },
                            cpu = CpuName(), threads = TorchSharp.torch.get_num_threads(), comparison }, Json));
                        return 0;
                    }
                    PrintSaving($"PixArt depth {pixArtConfig.Depth}, width {pixArtConfig.HiddenSize}, {kept ?? pixArtConfig.ModelMaxLength} of {pixArtConfig.ModelMaxLength} caption tokens kept, batch {comparison.Batch}, DDIM, {CpuName()}, {TorchSharp.torch.get_num_threads()} threads, {comparison.Rounds} timed rounds",
                        [(comparison.Full.Plan, comparison.Full.Steps, comparison.Full.WeakSteps, comparison.Full.GflopsPerImage, comparison.Full.MsPerImage),
                         (comparison.WeakFirst.Plan, comparison.WeakFirst.Steps, comparison.WeakFirst.WeakSteps, comparison.WeakFirst.GflopsPerImage, comparison.WeakFirst.MsPerImage)],
                        comparison.FlopsSaved, comparison.TimeSaved, comparison.TimeSavedPerFlopSaved, "Both plans run the same steps and guidance: the saving is FlexiDiT's alone.");
                    return 0;
                }

                bool captionsKept = !parse.GetValue(captionRecomputed);
                var pixArtResults = ForwardBenchmark.Run(pixArtConfig, parse.GetValue(batch), repeats: parse.GetValue(repeats), dtype: dtype, profile: parse.GetValue(profile), keptTokens: kept,
                    captionsKept: captionsKept);
                var described = $"PixArt depth {pixArtConfig.Depth}, width {pixArtConfig.HiddenSize}, heads {pixArtConfig.NumHeads}, {kept ?? pixArtConfig.ModelMaxLength} of {pixArtConfig.ModelMaxLength} caption tokens kept, × {pixArtConfig.CaptionChannels}, "
                    + (captionsKept ? "a sampling step (the caption's keys and values kept from the run's first)" : "the caption's keys and values computed by every forward");
                Report(parse.GetValue(json), described, new { depth = pixArtConfig.Depth, hidden = pixArtConfig.HiddenSize, heads = pixArtConfig.NumHeads, patch = pixArtConfig.PatchSize,
                    inputSize = pixArtConfig.InputSize, inChannels = pixArtConfig.InChannels, captionChannels = pixArtConfig.CaptionChannels, captionTokens = pixArtConfig.ModelMaxLength,
                    captionKept = kept ?? pixArtConfig.ModelMaxLength, captionKeysValuesKept = captionsKept },
                    pixArtConfig.InputSize, pixArtConfig.InChannels, parse.GetValue(batch), dtype, pixArtResults);
                return 0;
            }

            using var onnx = parse.GetValue(peer) is { } peerPath
                ? new OnnxPeer(peerPath, parse.GetValue(peerPatch) ?? config.PatchSize, parse.GetValue(batch), config.InChannels, config.InputSize, TorchSharp.torch.get_num_threads())
                : null;
            var results = ForwardBenchmark.Run(config, parse.GetValue(batch), repeats: parse.GetValue(repeats), dtype: dtype, peer: onnx,
                profile: parse.GetValue(profile));
            Report(parse.GetValue(json), $"DiT depth {config.Depth}, width {config.HiddenSize}, heads {config.Heads}",
                new { depth = config.Depth, hidden = config.HiddenSize, heads = config.Heads, patch = config.PatchSize, inputSize = config.InputSize, inChannels = config.InChannels },
                config.InputSize, config.InChannels, parse.GetValue(batch), dtype, results);
            return 0;
        });
        return command;
    }

    // Two plans' figures and time saved over FLOPs saved, as --savings and --pixart --sampling print them.
    private static void PrintSaving(string header, (string Plan, int Steps, int WeakSteps, double GflopsPerImage, double MsPerImage)[] plans,
        double flopsSaved, double timeSaved, double timeSavedPerFlopSaved, string note)
    {
        Console.WriteLine(header);
        foreach (var p in plans) Console.WriteLine($"  {p.Plan,-20} {p.Steps,3} steps ({p.WeakSteps} weak)  {p.GflopsPerImage,8:F1} GFLOP/img  {p.MsPerImage,8:F0} ms/img");
        Console.WriteLine($"FLOPs saved {flopsSaved:P1}, time saved {timeSaved:P1}: time saved / FLOPs saved = {timeSavedPerFlopSaved:F2}. {note}");
    }

    // The forward timings, in text or JSON, under a line (or object) that says what was measured and where.
    private static void Report(bool json, string model, object config, int inputSize, int inChannels, int batch, TorchSharp.torch.ScalarType dtype,
        IReadOnlyList<ForwardTiming> results)
    {
        if (json)
        {
            Console.WriteLine(JsonSerializer.Serialize(new
            {
                config,
                threads = TorchSharp.torch.get_num_threads(),
                cpu = CpuName(),
                precision = dtype == TorchSharp.torch.ScalarType.BFloat16 ? "bfloat16" : "float32",
                linear = CpuLinear.Description,
                results,
            }, Json));
            return;
        }

        Console.WriteLine($"{model}, {inputSize}²×{inChannels}, batch {batch}, {results[0].Precision}, {TorchSharp.torch.get_num_threads()} threads, {CpuName()}, linear layers by {CpuLinear.Description}");
        foreach (var r in results)
        {
            var line = $"patch {r.PatchSize}: {r.Tokens,4} tokens  median {r.MedianMs,8:F1} ms  min {r.MinMs,8:F1} ms  {r.Flops / 1e9,7:F2} GFLOP  {r.GflopsPerSecond,6:F1} GFLOP/s";
            if (r.Peer is { } p) line += $"  | {p.Engine} {p.MedianMs,8:F1} ms, ours {p.Speedup:F2}× its speed (median of paired runs)";
            Console.WriteLine(line);
            if (r.Profile is { } forward)
            {
                Console.WriteLine($"  profile (mean of the faster {forward.Forwards} forwards, {forward.ForwardMs:F1} ms):");
                foreach (var part in forward.Parts.OrderByDescending(part => part.Ms))
                    Console.WriteLine($"    {part.Op,-16} {part.Ms,8:F2} ms {part.Percent,6:F1} %  {part.CallsPerForward,4:0} calls");
            }
        }
    }

    /// <summary>The CPU's model name (what <c>lscpu</c> prints), so a report says what it was measured on.</summary>
    private static string CpuName() =>
        File.Exists("/proc/cpuinfo")
            ? File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal)) is { } line ? line[(line.IndexOf(':') + 1)..].Trim() : "unknown CPU"
            : System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture.ToString();
}
