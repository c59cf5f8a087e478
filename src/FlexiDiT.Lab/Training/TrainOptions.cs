using FlexiDiT.Data;
using FlexiDiT.Models;

namespace FlexiDiT.Training;

/// <summary>Settings of <see cref="DiTTrainer"/>: the shared ones plus the class-conditional DiT and its labels.</summary>
public sealed record TrainOptions : DiffusionTrainOptions
{
    /// <summary>The architecture.</summary>
    public required DiTConfig Model { get; init; }
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
}
