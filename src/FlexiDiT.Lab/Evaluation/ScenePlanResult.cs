using System.Text.Json.Serialization;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Sampling;

namespace FlexiDiT.Evaluation;

/// <summary>
/// One row of the text-to-image plan table: a plan on the captions of one <see cref="CaptionSplit"/>, its FLOPs split
/// into the FlexiDiT and the fewer-steps saving, its wall time, and how often the scene classifier sees what each
/// caption asked for. Attributes are keyed by their lower-case <see cref="Data.Scenes.SceneAttribute"/> name; only
/// the attributes a caption names are judged.
/// </summary>
public sealed record ScenePlanResult
{
    /// <summary>Plan name.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Human-readable description.</summary>
    [JsonPropertyName("description")] public required string Description { get; init; }
    /// <summary>The plan's parameters.</summary>
    [JsonPropertyName("spec")] public required PlanSpec Spec { get; init; }
    /// <summary>Which phrasings the captions use.</summary>
    [JsonPropertyName("split")] [JsonConverter(typeof(JsonStringEnumConverter))] public CaptionSplit Split { get; init; }
    /// <summary>Sampling steps.</summary>
    [JsonPropertyName("steps")] public int Steps { get; init; }
    /// <summary>Steps whose conditional branch runs weak.</summary>
    [JsonPropertyName("weakSteps")] public int WeakSteps { get; init; }
    /// <summary>FLOPs per image (2 per multiply-add).</summary>
    [JsonPropertyName("flopsPerImage")] public double FlopsPerImage { get; init; }
    /// <summary>FLOPs relative to the full-compute plan.</summary>
    [JsonPropertyName("flopsFraction")] public double FlopsFraction { get; init; }
    /// <summary>Share of the FLOPs of the same steps and guidance at full compute that FlexiDiT saved (<see cref="Flops.ComputeSavings.FlexiDiTFraction"/>).</summary>
    [JsonPropertyName("flexiDiTSaving")] public double FlexiDiTSaving { get; init; }
    /// <summary>Share of full compute's FLOPs saved by fewer steps alone (<see cref="Flops.ComputeSavings.StepsFraction"/>); composes with <see cref="FlexiDiTSaving"/>.</summary>
    [JsonPropertyName("fewerStepsSaving")] public double FewerStepsSaving { get; init; }
    /// <summary>Fréchet distance to real scenes in the classifier's feature space.</summary>
    [JsonPropertyName("frechetDistance")] public double FrechetDistance { get; init; }
    /// <summary>For each attribute, the share of the images whose caption names it that show it.</summary>
    [JsonPropertyName("accuracy")] public required IReadOnlyDictionary<string, double> Accuracy { get; init; }
    /// <summary>For each attribute, how many captions name it.</summary>
    [JsonPropertyName("named")] public required IReadOnlyDictionary<string, int> Named { get; init; }
    /// <summary>Share of images that show everything their caption names.</summary>
    [JsonPropertyName("allNamedRight")] public double AllNamedRight { get; init; }
    /// <summary>Shape accuracy among the images asked for each shape ("cross" → 0.97, ...).</summary>
    [JsonPropertyName("shapeAccuracyByShape")] public required IReadOnlyDictionary<string, double> ShapeAccuracyByShape { get; init; }
    /// <summary>
    /// Per attribute, in image order over the images whose caption names it, whether it is right ('1') or not ('0');
    /// "all" covers every image. What the paired comparisons are computed from.
    /// </summary>
    [JsonPropertyName("hits")] public required IReadOnlyDictionary<string, string> Hits { get; init; }
    /// <summary>Per attribute (and "all"), accuracy minus full compute's on the same images with its 95 % interval (null on the full row, or without one).</summary>
    [JsonPropertyName("vsFull")] public IReadOnlyDictionary<string, PairedDifference>? VsFull { get; init; }
    /// <summary>
    /// On a held-out row: per attribute (and "all"), held-out accuracy minus the same plan's accuracy on the training
    /// phrasings of the same scenes and seeds, with its 95 % interval.
    /// </summary>
    [JsonPropertyName("heldOutGap")] public IReadOnlyDictionary<string, PairedDifference>? HeldOutGap { get; init; }
    /// <summary>Wall milliseconds per image, measured in this run.</summary>
    [JsonPropertyName("msPerImage")] public double MsPerImage { get; init; }
    /// <summary>Time saved divided by FLOPs saved against full compute of the same split (null on full compute).</summary>
    [JsonPropertyName("timeSavedPerFlopsSaved")] public double? TimeSavedPerFlopsSaved { get; init; }
}
