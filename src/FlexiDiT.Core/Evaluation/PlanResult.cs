using System.Text.Json.Serialization;
using FlexiDiT.Sampling;

namespace FlexiDiT.Evaluation;

/// <summary>
/// One row of the plan table <c>flexidit eval</c> writes (the policy engine reads it): the plan, its
/// FLOPs, and the quality of its images.
/// </summary>
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
    /// <summary>Wall milliseconds per image, measured in this run.</summary>
    [JsonPropertyName("msPerImage")] public double MsPerImage { get; init; }
}

/// <summary>The whole plan table.</summary>
public sealed record PlanTable
{
    /// <summary>Model name.</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }
    /// <summary>Images per plan.</summary>
    [JsonPropertyName("imagesPerPlan")] public int ImagesPerPlan { get; init; }
    /// <summary>Where and when it was measured.</summary>
    [JsonPropertyName("measuredOn")] public string MeasuredOn { get; init; } = "";
    /// <summary>The rows.</summary>
    [JsonPropertyName("plans")] public required IReadOnlyList<PlanResult> Plans { get; init; }
}
