using FlexiDiT.Data;
using FlexiDiT.Models;

namespace FlexiDiT.Training;

/// <summary>Settings of <see cref="DiTTrainer"/>.</summary>
public sealed record TrainOptions
{
    /// <summary>Folder holding checkpoints, the log and the state (a run resumes from it).</summary>
    public required string RunDirectory { get; init; }
    /// <summary>The architecture.</summary>
    public required DiTConfig Model { get; init; }
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
    /// <summary>
    /// Standard deviation of the class-embedding initialisation (null: DiT's 0.02). The timestep embedding
    /// grows to a norm of ~40 within a few hundred steps while 0.02 gives class embeddings of norm ~0.3, so
    /// the class is ~1 % of the conditioning vector and a short run never learns to use it.
    /// </summary>
    public double? LabelInitStd { get; init; }
    /// <summary>Learning-rate multiplier for the class-embedding table (each row only sees its class's samples).</summary>
    public double LabelLearningRateScale { get; init; } = 1.0;
    /// <summary>
    /// Keep the class-embedding table additive in shape and colour (see <see cref="AdditiveClassTable"/>):
    /// initialised so (std <see cref="LabelInitStd"/>) and projected back after every step. Give it again on resume.
    /// </summary>
    public bool AdditiveLabels { get; init; }
    /// <summary>
    /// Relative frequency of each shape among the samples that keep their label (null: uniform, as the data
    /// set). The samples whose label is dropped stay uniform, so the unconditional model, which guidance
    /// pushes away from, still learns the data set's own distribution.
    /// </summary>
    public IReadOnlyDictionary<ShapeKind, double>? ShapeWeights { get; init; }
    /// <summary>Min-SNR-γ weighting of the ε-MSE (null: DiT's unweighted loss); see <see cref="Diffusion.GaussianDiffusion.TrainingLoss"/>.</summary>
    public double? MinSnrGamma { get; init; }
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
    /// <summary>Seed of the data and of the initialisation.</summary>
    public long Seed { get; init; }
    /// <summary>Write progress every this many steps.</summary>
    public int LogEvery { get; init; } = 25;
    /// <summary>Checkpoint at least this often.</summary>
    public TimeSpan CheckpointEvery { get; init; } = TimeSpan.FromMinutes(5);
}
