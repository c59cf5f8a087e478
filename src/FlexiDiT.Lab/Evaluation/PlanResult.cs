using System.Text.Json.Serialization;
using FlexiDiT.Sampling;

namespace FlexiDiT.Evaluation;

/// <summary>
/// One row of the plan table <c>flexidit eval</c> writes (the policy engine reads it): the plan, its
/// FLOPs, and the quality of its images.
/// </summary>
/// <remarks>
/// The governance reads the same file through its own <c>PlanEntry</c> (FlexiDiT.Governance.Knowledge) and the two
/// stay separate types on purpose: the governance must not reference the engine, so it keeps <c>spec</c> as opaque
/// JSON where this row has a typed <see cref="PlanSpec"/>, it keys forwards by integer patch size after validating
/// them, and it ignores the lab's diagnostics (shape accuracy, per-image hits, paired comparisons). What keeps them in
/// step is a test: a table this writer saves is read back by the governance's reader field for field, and every
/// field the governance reads is one this row writes.
/// </remarks>
public sealed record PlanResult
{
    /// <summary>Plan name.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Human-readable description.</summary>
    [JsonPropertyName("description")] public required string Description { get; init; }
    /// <summary>The plan's parameters.</summary>
    [JsonPropertyName("spec")] public required PlanSpec Spec { get; init; }
    /// <summary>Sampling steps.</summary>
    [JsonPropertyName("steps")] public int Steps { get; init; }
    /// <summary>Steps whose conditional branch runs weak.</summary>
    [JsonPropertyName("weakSteps")] public int WeakSteps { get; init; }
    /// <summary>Single-image forwards per image at each patch size (guidance counts both branches).</summary>
    [JsonPropertyName("forwards")] public required IReadOnlyDictionary<string, int> Forwards { get; init; }
    /// <summary>FLOPs per image (2 per multiply-add).</summary>
    [JsonPropertyName("flopsPerImage")] public double FlopsPerImage { get; init; }
    /// <summary>FLOPs relative to the full-compute plan.</summary>
    [JsonPropertyName("flopsFraction")] public double FlopsFraction { get; init; }
    /// <summary>
    /// FLOPs per image of the same steps and guidance with every forward at the powerful patch size: what the FlexiDiT
    /// saving is measured against (see <see cref="Flops.ComputeSavings"/>); null in tables written before it was recorded.
    /// </summary>
    [JsonPropertyName("sameStepsFullFlopsPerImage")] public double? SameStepsFullFlopsPerImage { get; init; }
    /// <summary>Fréchet distance to real images in the classifier's feature space.</summary>
    [JsonPropertyName("frechetDistance")] public double? FrechetDistance { get; init; }
    /// <summary>Fraction whose class (shape and colour) the classifier confirms.</summary>
    [JsonPropertyName("classAccuracy")] public double? ClassAccuracy { get; init; }
    /// <summary>Fraction whose shape the classifier confirms.</summary>
    [JsonPropertyName("shapeAccuracy")] public double? ShapeAccuracy { get; init; }
    /// <summary>Fraction whose colour the hand-written detector confirms.</summary>
    [JsonPropertyName("colorAccuracy")] public double? ColorAccuracy { get; init; }
    /// <summary>Fraction whose colour the classifier confirms.</summary>
    [JsonPropertyName("classifierColorAccuracy")] public double? ClassifierColorAccuracy { get; init; }
    /// <summary>Class accuracy (classifier) among the images asked for each shape ("circle" → 0.98, ...): where a model fails.</summary>
    [JsonPropertyName("classAccuracyByShape")] public IReadOnlyDictionary<string, double>? ClassAccuracyByShape { get; init; }
    /// <summary>
    /// For each shape asked, how many of its images the classifier saw as each shape ("cross" → {"cross": 29,
    /// "ring": 8, ...}): what a failing shape is drawn as instead.
    /// </summary>
    [JsonPropertyName("shapesSeen")] public IReadOnlyDictionary<string, IReadOnlyDictionary<string, int>>? ShapesSeen { get; init; }
    /// <summary>Per image, in sampling order, whether the classifier confirms the class ('1') or not ('0').</summary>
    [JsonPropertyName("classHits")] public string? ClassHits { get; init; }
    /// <summary>Class accuracy relative to full compute on the same images, with its 95 % interval (null: no full plan in the run).</summary>
    [JsonPropertyName("classVsFull")] public PairedDifference? ClassVsFull { get; init; }
    /// <summary>Wall milliseconds per image, measured in this run.</summary>
    [JsonPropertyName("msPerImage")] public double MsPerImage { get; init; }
}
