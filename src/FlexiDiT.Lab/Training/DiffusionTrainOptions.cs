namespace FlexiDiT.Training;

/// <summary>
/// What every diffusion training run of <see cref="TrainingLoop"/> is given, whatever the model: the run folder,
/// the batch, AdamW, the learning-rate schedule, the EMA, the loss weighting, precision and the budget.
/// </summary>
public abstract record DiffusionTrainOptions
{
    /// <summary>Folder holding checkpoints, the log and the state (a run resumes from it).</summary>
    public required string RunDirectory { get; init; }
    /// <summary>Images per step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>AdamW learning rate (DiT: 1e-4 at batch 256 for 400k steps; short runs need more).</summary>
    public double LearningRate { get; init; } = 1e-4;
    /// <summary>AdamW weight decay (DiT: 0).</summary>
    public double WeightDecay { get; init; }
    /// <summary>Warm-up steps of the learning rate.</summary>
    public int WarmupSteps { get; init; }
    /// <summary>Linear decay of the learning rate to zero over the last this many steps before <see cref="MaxSteps"/> (0: none).</summary>
    public int CooldownSteps { get; init; }
    /// <summary>
    /// Linear decay of the learning rate to zero over the last this fraction of the budget, whichever of
    /// <see cref="MaxSteps"/> and <see cref="MaxTime"/> ends first (0: none). Unlike <see cref="CooldownSteps"/>
    /// it ends at the limit on a slower machine too. Give one of the two.
    /// </summary>
    public double CooldownFraction { get; init; }
    /// <summary>EMA decay (DiT: 0.9999 over 400k steps).</summary>
    public double EmaDecay { get; init; } = 0.9999;
    /// <summary>On resume, restart the EMA from the live weights (e.g. after a too-slow fixed decay).</summary>
    public bool ResetEma { get; init; }
    /// <summary>Min-SNR-γ weighting of the ε-MSE (null: DiT's unweighted loss); see <see cref="Diffusion.GaussianDiffusion.TrainingLoss"/>.</summary>
    public double? MinSnrGamma { get; init; }
    /// <summary>Chance that a row's timestep is drawn from the noisier half only (0: uniform, as DiT); see <see cref="TimestepDraw"/>.</summary>
    public double HighNoiseShare { get; init; }
    /// <summary>Clip the gradient's global norm to this (null: no clipping, as DiT).</summary>
    public double? GradientClip { get; init; }
    /// <summary>
    /// Run the forward and backward passes in bfloat16 on a copy of the model (the weights, optimizer and
    /// checkpoints stay float32); see <see cref="BFloat16Replica"/>. Faster only on CPUs with AVX512-BF16.
    /// </summary>
    public bool BFloat16 { get; init; }
    /// <summary>Stop after this many steps in total (across resumes).</summary>
    public int? MaxSteps { get; init; }
    /// <summary>Stop after this much training time in total (across resumes).</summary>
    public TimeSpan? MaxTime { get; init; }
    /// <summary>
    /// Stop this invocation, checkpointed as on cancellation, once the run has trained this long in total (across
    /// resumes); unlike <see cref="MaxTime"/> it leaves the schedule alone, so the next invocation carries on as if
    /// uninterrupted. For a budget spread over sessions, or a setting changed at a known point of a run (the shipped
    /// scenes model's object weight, scripts/build-shapes-t2i.sh).
    /// </summary>
    public TimeSpan? PauseAfter { get; init; }
    /// <summary>Seed of the data and of the initialisation.</summary>
    public long Seed { get; init; }
    /// <summary>Write progress every this many steps.</summary>
    public int LogEvery { get; init; } = 25;
    /// <summary>Checkpoint at least this often.</summary>
    public TimeSpan CheckpointEvery { get; init; } = TimeSpan.FromMinutes(5);


    /// <summary>Refuses a schedule that cannot run, before the run folder is touched.</summary>
    public void ValidateSchedule()
    {
        if (CooldownSteps > 0 && MaxSteps is null)
            throw new ArgumentException("A cool-down counts back from the last step: give the total steps (--steps) too.");
        if (CooldownFraction is < 0 or > 1 || double.IsNaN(CooldownFraction))
            throw new ArgumentOutOfRangeException(nameof(CooldownFraction), CooldownFraction, "The cool-down fraction is a share of the budget, from 0 to 1.");
        if (CooldownFraction > 0 && CooldownSteps > 0)
            throw new ArgumentException("Give the cool-down in steps (--cooldown) or as a share of the budget (--cooldown-fraction), not both.");
        if (CooldownFraction > 0 && MaxSteps is null && MaxTime is null)
            throw new ArgumentException("A cool-down fraction is a share of the budget: give --steps or --minutes too.");
        if (PauseAfter is { } pause && pause <= TimeSpan.Zero)
            throw new ArgumentOutOfRangeException(nameof(PauseAfter), pause, "The pause point is the training time at which to stop: give a positive time (--pause-at-minutes).");
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(BatchSize);
        TimestepDraw.ValidateShare(HighNoiseShare);
    }
}
