namespace FlexiDiT.Training;

/// <summary>Settings of <see cref="FlexiConverter"/>.</summary>
public sealed record ConvertOptions
{
    /// <summary>The base DiT or PixArt-α checkpoint (official format, diffusers for PixArt-α, or this project's).</summary>
    public required string BaseCheckpoint { get; init; }
    /// <summary>Optional config JSON of the base checkpoint.</summary>
    public string? BaseConfig { get; init; }
    /// <summary>Where the FlexiDiT checkpoint is written (.safetensors).</summary>
    public required string Output { get; init; }
    /// <summary>The weak patch size to add (the paper uses 2× the original).</summary>
    public int WeakPatch { get; init; } = 4;
    /// <summary>LoRA rank of the weak patch size's adapters on attention and MLP (0: none).</summary>
    public int LoraRank { get; init; } = 16;
    /// <summary>The loss (<c>flexidit convert</c> defaults to the training loss, denoise, for a text-to-image scenes checkpoint).</summary>
    public ConversionLoss Loss { get; init; } = ConversionLoss.Distill;
    /// <summary>Distil on the teacher's own sampling trajectories instead of data (no data set needed).</summary>
    public bool DataFree { get; init; }
    /// <summary>Guidance scale of the <see cref="ConversionLoss.Guided"/> loss (the scale the pack's plans sample with).</summary>
    public double GuidanceScale { get; init; } = 4.0;
    /// <summary>
    /// Train the weak patch size only at timesteps ≥ this (of 1000). Weak-first sampling runs the weak size only on the
    /// noisiest steps (a 40-step plan with 70 % weak steps never uses it below t ≈ 300). On the Shapes model, 300 gave no
    /// gain over uniform timesteps (README, "What moved the numbers").
    /// </summary>
    public int MinTimestep { get; init; }
    /// <summary>Images per step.</summary>
    public int BatchSize { get; init; } = 32;
    /// <summary>AdamW learning rate (null: 5e-4 for a DiT, the method's 8e-4 for a text-to-image model).</summary>
    public double? LearningRate { get; init; }
    /// <summary>AdamW weight decay (null: 0 for a DiT, the method's 1e-2 for a text-to-image model).</summary>
    public double? WeightDecay { get; init; }
    /// <summary>Decay the learning rate linearly to zero over this last fraction of the step or time budget (0: constant).</summary>
    public double CooldownFraction { get; init; }
    /// <summary>Gradient-norm clip (null: 1 for a DiT, the method's 0.02 for a text-to-image model).</summary>
    public double? GradClip { get; init; }
    /// <summary>Captions (one prompt per line) that a text-to-image model's training trajectories are conditioned on.</summary>
    public string? CaptionsPath { get; init; }
    /// <summary>The text encoder that encodes <see cref="CaptionsPath"/>: a T5 folder (config.json, weights, spiece.model).</summary>
    public string? TextEncoderPath { get; init; }
    /// <summary>
    /// Run the teacher and student forwards (and the backward) in bfloat16 on a copy of the model; the trained
    /// weights and the output stay float32 (see <see cref="BFloat16Replica"/>). Faster only on CPUs with
    /// AVX512-BF16. Data-free mode still samples the teacher's trajectories in float32.
    /// </summary>
    public bool BFloat16 { get; init; }
    /// <summary>
    /// Min-SNR-γ weighting of the denoising loss (null: unweighted); give the γ the base model was trained with, so the
    /// weak patch size learns the loss its original learned.
    /// </summary>
    public double? MinSnrGamma { get; init; }
    /// <summary>
    /// The resumable run folder of a text-to-image scenes conversion (live weights, AdamW state, <c>state.json</c>);
    /// null: the output path without its extension + <c>-run</c>. A conversion started again on it resumes.
    /// </summary>
    public string? RunDirectory { get; init; }
    /// <summary>Checkpoint a resumable conversion at least this often.</summary>
    public TimeSpan CheckpointEvery { get; init; } = TimeSpan.FromMinutes(5);
    /// <summary>Stop after this many steps.</summary>
    public int? MaxSteps { get; init; }
    /// <summary>Stop after this much time.</summary>
    public TimeSpan? MaxTime { get; init; }
    /// <summary>Seed.</summary>
    public long Seed { get; init; } = 1;
    /// <summary>Progress every this many steps.</summary>
    public int LogEvery { get; init; } = 25;
    /// <summary>Log file (defaults to the output path + .log).</summary>
    public string? LogPath { get; init; }
}
