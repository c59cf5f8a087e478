using System.CommandLine;
using FlexiDiT.Platform;
using FlexiDiT.Training;

namespace FlexiDiT.Cli.Commands;

/// <summary>
/// What the commands that train a diffusion model from scratch share (<c>train</c>, <c>train-t2i</c>): the run folder,
/// the batch, AdamW, the learning-rate schedule, the EMA, the loss weighting, precision, threads and the budget.
/// </summary>
internal sealed class TrainingRunOptions
{
    public Option<DirectoryInfo> Run { get; } = new("--run") { Description = "Run folder (checkpoints, log, state); an existing run resumes", Required = true };
    public Option<int> Batch { get; } = new("--batch") { Description = "Images per step", DefaultValueFactory = _ => 32 };
    public Option<double> LearningRate { get; } = new("--lr") { Description = "AdamW learning rate", DefaultValueFactory = _ => 5e-4 };
    public Option<int> Warmup { get; } = new("--warmup") { Description = "Learning-rate warm-up steps", DefaultValueFactory = _ => 200 };
    public Option<int> Cooldown { get; } = new("--cooldown") { Description = "Decay the learning rate linearly to zero over the last N steps before --steps" };
    public Option<double> CooldownFraction { get; } = new("--cooldown-fraction")
    {
        Description = "Decay the learning rate linearly to zero over the last share of the budget (--steps or --minutes, whichever ends first), e.g. 0.33",
    };
    public Option<double> Ema { get; } = new("--ema") { Description = "EMA decay", DefaultValueFactory = _ => 0.999 };
    public Option<int?> Steps { get; } = new("--steps") { Description = "Stop after this many steps in total (across resumes)" };
    public Option<double?> Minutes { get; } = new("--minutes") { Description = "Stop after this many minutes of training in total (across resumes)" };
    public Option<double?> PauseAtMinutes { get; } = new("--pause-at-minutes")
    {
        Description = "Stop this invocation (checkpointed) once the run has trained this many minutes in total, leaving the schedule of --steps/--minutes unchanged",
    };
    public Option<long> Seed { get; } = new("--seed") { Description = "Data and initialisation seed", DefaultValueFactory = _ => 0 };
    public Option<int> LogEvery { get; } = new("--log-every") { Description = "Progress every N steps", DefaultValueFactory = _ => 25 };
    public Option<double> CheckpointMinutes { get; } = new("--checkpoint-minutes") { Description = "Checkpoint at least this often", DefaultValueFactory = _ => 5 };
    public Option<bool> ResetEma { get; } = new("--reset-ema") { Description = "On resume, restart the EMA from the live weights" };
    public Option<double?> MinSnr { get; } = new("--min-snr") { Description = "Min-SNR-γ loss weighting (e.g. 5; default: DiT's unweighted loss)" };
    public Option<double> HighNoiseShare { get; } = new("--high-noise-share")
    {
        Description = "Chance that a sample's timestep comes from the noisier half only, where layout is decided (default 0: uniform, as DiT)",
    };
    public Option<double?> GradientClip { get; } = new("--grad-clip") { Description = "Clip the gradient norm to this (default: none, as DiT)" };
    public Option<bool> BFloat16 { get; } = new("--bf16")
    {
        Description = "Forward and backward in bfloat16 on a copy of the model, float32 weights (only on CPUs with AVX512-BF16 or AMX)",
    };
    public Option<int> Threads { get; } = new("--threads") { Description = "CPU threads for TorchSharp (0: all cores)", DefaultValueFactory = _ => 0 };

    /// <summary>Adds the shared options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (var option in new Option[]
                 {
                     Run, Batch, LearningRate, Warmup, Cooldown, CooldownFraction, Ema, Steps, Minutes, PauseAtMinutes, Seed, LogEvery, CheckpointMinutes,
                     ResetEma, MinSnr, HighNoiseShare, GradientClip, BFloat16, Threads,
                 })
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Applies the thread count and refuses <c>--bf16</c> where the CPU would emulate it, before anything is built.</summary>
    public void PrepareMachine(ParseResult parse)
    {
        if (parse.GetValue(Threads) is > 0 and var n) TorchSharp.torch.set_num_threads(n);
        if (parse.GetValue(BFloat16)) NativeBFloat16.EnsureWorthIt("--bf16");
    }

    /// <summary>The run folder asked for.</summary>
    public string RunDirectoryOf(ParseResult parse) => parse.GetValue(Run)!.FullName;

    /// <summary><paramref name="options"/> with the shared settings from the command line; refuses a run without a budget.</summary>
    public T Fill<T>(ParseResult parse, T options) where T : DiffusionTrainOptions
    {
        var filled = (T)(options with
        {
            BatchSize = parse.GetValue(Batch),
            LearningRate = parse.GetValue(LearningRate),
            WarmupSteps = parse.GetValue(Warmup),
            CooldownSteps = parse.GetValue(Cooldown),
            CooldownFraction = parse.GetValue(CooldownFraction),
            EmaDecay = parse.GetValue(Ema),
            ResetEma = parse.GetValue(ResetEma),
            MaxSteps = parse.GetValue(Steps),
            MaxTime = parse.GetValue(Minutes) is { } m ? TimeSpan.FromMinutes(m) : null,
            PauseAfter = parse.GetValue(PauseAtMinutes) is { } pause ? TimeSpan.FromMinutes(pause) : null,
            Seed = parse.GetValue(Seed),
            LogEvery = parse.GetValue(LogEvery),
            CheckpointEvery = TimeSpan.FromMinutes(parse.GetValue(CheckpointMinutes)),
            MinSnrGamma = parse.GetValue(MinSnr),
            HighNoiseShare = parse.GetValue(HighNoiseShare),
            GradientClip = parse.GetValue(GradientClip),
            BFloat16 = parse.GetValue(BFloat16),
        });
        if (filled.MaxSteps is null && filled.MaxTime is null)
            throw new ArgumentException("Give --steps or --minutes so the run knows when to stop.");
        return filled;
    }

    /// <summary>The line both commands end with.</summary>
    public static void Print(TrainResult result) =>
        Console.WriteLine($"trained {result.Steps} steps in {result.TrainingTime:hh\\:mm\\:ss}; loss {result.FirstLoss:F4} → {result.FinalLoss:F4}; EMA weights: {result.EmaCheckpoint}");
}
