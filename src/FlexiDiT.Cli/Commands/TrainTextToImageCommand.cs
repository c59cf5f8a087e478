using System.CommandLine;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Training;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit train-t2i</c>: trains the text-to-image Shapes scenes model (caption encoder + PixArt-α) from scratch, resumably.</summary>
internal static class TrainTextToImageCommand
{
    public static Command Create()
    {
        var run = new Option<DirectoryInfo>("--run") { Description = "Run folder (checkpoints, log, state); an existing run resumes", Required = true };
        var depth = new Option<int>("--depth") { Description = "PixArt blocks", DefaultValueFactory = _ => 6 };
        var hidden = new Option<int>("--hidden") { Description = "PixArt width", DefaultValueFactory = _ => 128 };
        var heads = new Option<int>("--heads") { Description = "Attention heads (self- and cross-attention)", DefaultValueFactory = _ => 4 };
        var captionWidth = new Option<int>("--caption-width") { Description = "Caption encoder width (PixArt's caption_channels)", DefaultValueFactory = _ => 128 };
        var captionTokens = new Option<int>("--caption-tokens") { Description = "Tokens per caption (the grammar's longest caption is 24)", DefaultValueFactory = _ => 24 };
        var encoderDepth = new Option<int>("--encoder-depth") { Description = "Caption encoder transformer layers", DefaultValueFactory = _ => 2 };
        var encoderHeads = new Option<int>("--encoder-heads") { Description = "Caption encoder attention heads", DefaultValueFactory = _ => 4 };
        var dropout = new Option<double>("--caption-dropout") { Description = "Share of captions replaced by the null caption (for guidance)", DefaultValueFactory = _ => 0.1 };
        var batch = new Option<int>("--batch") { Description = "Images per step", DefaultValueFactory = _ => 32 };
        var lr = new Option<double>("--lr") { Description = "AdamW learning rate", DefaultValueFactory = _ => 5e-4 };
        var warmup = new Option<int>("--warmup") { Description = "Learning-rate warm-up steps", DefaultValueFactory = _ => 200 };
        var cooldown = new Option<int>("--cooldown") { Description = "Decay the learning rate linearly to zero over the last N steps before --steps" };
        var cooldownFraction = new Option<double>("--cooldown-fraction") { Description = "Decay the learning rate linearly to zero over the last share of the budget (--steps or --minutes, whichever ends first)" };
        var ema = new Option<double>("--ema") { Description = "EMA decay", DefaultValueFactory = _ => 0.999 };
        var steps = new Option<int?>("--steps") { Description = "Stop after this many steps in total (across resumes)" };
        var minutes = new Option<double?>("--minutes") { Description = "Stop after this many minutes of training in total (across resumes)" };
        var seed = new Option<long>("--seed") { Description = "Data and initialisation seed", DefaultValueFactory = _ => 0 };
        var logEvery = new Option<int>("--log-every") { Description = "Progress every N steps", DefaultValueFactory = _ => 25 };
        var checkpointMinutes = new Option<double>("--checkpoint-minutes") { Description = "Checkpoint at least this often", DefaultValueFactory = _ => 5 };
        var resetEma = new Option<bool>("--reset-ema") { Description = "On resume, restart the EMA from the live weights" };
        var minSnr = new Option<double?>("--min-snr") { Description = "Min-SNR-γ loss weighting (e.g. 5; default: unweighted)" };
        var clip = new Option<double?>("--grad-clip") { Description = "Clip the gradient norm to this (default: none)" };
        var bf16 = new Option<bool>("--bf16") { Description = "Forward and backward in bfloat16 on a copy of the model, float32 weights (only on CPUs with AVX512-BF16 or AMX)" };
        var threads = new Option<int>("--threads") { Description = "CPU threads for TorchSharp (0: all cores)", DefaultValueFactory = _ => 0 };
        var command = new Command("train-t2i", "Train the text-to-image Shapes scenes model (caption encoder + PixArt-α, patch 2, learned sigma, EMA, AdamW) from scratch")
        {
            run, depth, hidden, heads, captionWidth, captionTokens, encoderDepth, encoderHeads, dropout, batch, lr, warmup, cooldown, cooldownFraction,
            ema, steps, minutes, seed, logEvery, checkpointMinutes, resetEma, minSnr, clip, bf16, threads,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            if (parse.GetValue(threads) is > 0 and var n) TorchSharp.torch.set_num_threads(n);
            if (parse.GetValue(bf16)) NativeBFloat16.EnsureWorthIt("--bf16");
            double drop = parse.GetValue(dropout);
            if (drop is < 0 or >= 1) throw new ArgumentException($"--caption-dropout is a share from 0 to below 1; got {drop}.");
            var tokenizer = SceneTokenizer.FromGrammar(parse.GetValue(captionTokens));
            var config = TextToImageConfig.Scenes(tokenizer.VocabularySize, parse.GetValue(depth), parse.GetValue(hidden), parse.GetValue(heads),
                parse.GetValue(captionWidth), parse.GetValue(captionTokens), parse.GetValue(encoderDepth), parse.GetValue(encoderHeads));
            config = config with { Denoiser = config.Denoiser with { ClassDropoutProb = drop } };
            var options = new TextToImageTrainOptions
            {
                RunDirectory = parse.GetValue(run)!.FullName,
                Model = config,
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
                CheckpointEvery = TimeSpan.FromMinutes(parse.GetValue(checkpointMinutes)),
                MinSnrGamma = parse.GetValue(minSnr),
                GradientClip = parse.GetValue(clip),
                BFloat16 = parse.GetValue(bf16),
            };
            if (options.MaxSteps is null && options.MaxTime is null)
                throw new ArgumentException("Give --steps or --minutes so the run knows when to stop.");
            var result = new TextToImageTrainer(options).Run(cancellationToken);
            Console.WriteLine($"trained {result.Steps} steps in {result.TrainingTime:hh\\:mm\\:ss}; loss {result.FirstLoss:F4} → {result.FinalLoss:F4}; EMA weights: {result.EmaCheckpoint}");
            return Task.FromResult(0);
        });
        return command;
    }
}
