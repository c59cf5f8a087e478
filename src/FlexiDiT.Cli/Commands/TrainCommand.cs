using System.CommandLine;
using FlexiDiT.Data;
using FlexiDiT.Models;
using FlexiDiT.Training;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit train</c>: trains a class-conditional DiT on Shapes from scratch (resumable).</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "Run folder (checkpoints, log); an existing run resumes", Required = true };
        var depth = new Option<int>("--depth") { Description = "DiT blocks", DefaultValueFactory = _ => 6 };
        var hidden = new Option<int>("--hidden") { Description = "Width", DefaultValueFactory = _ => 192 };
        var heads = new Option<int>("--heads") { Description = "Attention heads", DefaultValueFactory = _ => 3 };
        var batch = new Option<int>("--batch") { Description = "Images per step", DefaultValueFactory = _ => 32 };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate", DefaultValueFactory = _ => 5e-4 };
        var warmup = new Option<int>("--warmup") { Description = "Learning-rate warm-up steps", DefaultValueFactory = _ => 200 };
        var cooldown = new Option<int>("--cooldown") { Description = "Decay the learning rate linearly to zero over the last N steps before --steps" };
        var cooldownFraction = new Option<double>("--cooldown-fraction") { Description = "Decay the learning rate linearly to zero over the last share of the budget (--steps or --minutes, whichever ends first), e.g. 0.33" };
        var ema = new Option<double>("--ema") { Description = "EMA decay", DefaultValueFactory = _ => 0.999 };
        var steps = new Option<int?>("--steps") { Description = "Stop after this many steps in total" };
        var minutes = new Option<double?>("--minutes") { Description = "Stop after this many minutes of training in total" };
        var seed = new Option<long>("--seed") { Description = "Data and initialisation seed", DefaultValueFactory = _ => 0 };
        var logEvery = new Option<int>("--log-every") { Description = "Progress every N steps", DefaultValueFactory = _ => 25 };
        var resetEma = new Option<bool>("--reset-ema") { Description = "On resume, restart the EMA from the live weights" };
        var minSnr = new Option<double?>("--min-snr") { Description = "Min-SNR-γ loss weighting (e.g. 5; default: DiT's unweighted loss)" };
        var clip = new Option<double?>("--grad-clip") { Description = "Clip the gradient norm to this (default: none, as DiT)" };
        var labelStd = new Option<double?>("--label-init-std") { Description = "Class-embedding init std (default: DiT's 0.02)" };
        var labelLr = new Option<double>("--label-lr-scale") { Description = "Learning-rate multiplier of the class embedding", DefaultValueFactory = _ => 1.0 };
        var additive = new Option<bool>("--label-additive") { Description = "Keep the class embedding additive: shape vector + colour vector (classes share what a shape looks like)" };
        var shapeWeight = new Option<string[]>("--shape-weight")
        {
            Description = "Draw the labelled samples of a shape this many times as often, e.g. cross=2 (repeatable; other shapes weigh 1, dropped-label samples stay uniform)",
        };
        var bf16 = new Option<bool>("--bf16") { Description = "Forward and backward in bfloat16 on a copy of the model, float32 weights (faster only on CPUs with AVX512-BF16)" };
        var threads = new Option<int>("--threads") { Description = "CPU threads for TorchSharp (0: all cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("train", "Train a class-conditional DiT on the procedural Shapes data (patch 2, learned sigma, EMA, AdamW)")
        { run, depth, hidden, heads, batch, lr, warmup, cooldown, cooldownFraction, ema, steps, minutes, seed, logEvery, threads, resetEma, minSnr, clip, labelStd, labelLr, additive, shapeWeight, bf16 };
        command.SetAction((parse, cancellationToken) =>
        {
            if (parse.GetValue(threads) is > 0 and var n) TorchSharp.torch.set_num_threads(n);
            if (parse.GetValue(bf16)) NativeBFloat16.EnsureWorthIt("--bf16");
            var options = new TrainOptions
            {
                RunDirectory = parse.GetValue(run)!.FullName,
                Model = ShapesDataset.ModelConfig(parse.GetValue(depth), parse.GetValue(hidden), parse.GetValue(heads)),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                WarmupSteps = parse.GetValue(warmup),
                CooldownSteps = parse.GetValue(cooldown),
                CooldownFraction = parse.GetValue(cooldownFraction),
                EmaDecay = parse.GetValue(ema),
                ResetEma = parse.GetValue(resetEma),
                MaxSteps = parse.GetValue(steps),
                MaxTime = parse.GetValue(minutes) is { } m ? TimeSpan.FromMinutes(m) : null,
                Seed = parse.GetValue(seed),
                LogEvery = parse.GetValue(logEvery),
                MinSnrGamma = parse.GetValue(minSnr),
                GradientClip = parse.GetValue(clip),
                LabelInitStd = parse.GetValue(labelStd),
                LabelLearningRateScale = parse.GetValue(labelLr),
                AdditiveLabels = parse.GetValue(additive),
                BFloat16 = parse.GetValue(bf16),
                ShapeWeights = ParseShapeWeights(parse.GetValue(shapeWeight)),
            };
            if (options.MaxSteps is null && options.MaxTime is null)
                throw new ArgumentException("Give --steps or --minutes so the run knows when to stop.");
            var result = new DiTTrainer(options).Run(cancellationToken);
            Console.WriteLine($"trained {result.Steps} steps in {result.TrainingTime:hh\\:mm\\:ss}; loss {result.FirstLoss:F4} → {result.FinalLoss:F4}; EMA weights: {result.EmaCheckpoint}");
            return Task.FromResult(0);
        });
        return command;
    }

    private static Dictionary<ShapeKind, double>? ParseShapeWeights(string[]? values)
    {
        if (values is not { Length: > 0 }) return null;
        var weights = new Dictionary<ShapeKind, double>();
        foreach (string value in values)
        {
            var parts = value.Split('=', 2);
            if (parts.Length != 2 || !Enum.TryParse<ShapeKind>(parts[0], ignoreCase: true, out var shape) || !Enum.IsDefined(shape)
                || !double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double weight))
                throw new ArgumentException($"--shape-weight takes SHAPE=WEIGHT with a shape of {string.Join(", ", Enum.GetNames<ShapeKind>().Select(n => n.ToLowerInvariant()))}, e.g. cross=2; got '{value}'.");
            weights[shape] = weight;
        }
        return weights;
    }
}
