using System.Text.Json.Serialization;
using FlexiDiT.Prompts.Captions;

namespace FlexiDiT.Evaluation;

/// <summary>The text-to-image plan table <c>flexidit eval</c> writes for a scenes model.</summary>
public sealed record ScenePlanTable
{
    /// <summary>Model name.</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }
    /// <summary>Images per plan and split.</summary>
    [JsonPropertyName("imagesPerPlan")] public int ImagesPerPlan { get; init; }
    /// <summary>Where and when it was measured.</summary>
    [JsonPropertyName("measuredOn")] public string MeasuredOn { get; init; } = "";
    /// <summary>The classifier's accuracy per attribute (and "all") on real scenes: how far its verdicts can be trusted.</summary>
    [JsonPropertyName("judgeAccuracyOnReal")] public required IReadOnlyDictionary<string, double> JudgeAccuracyOnReal { get; init; }
    /// <summary>The rows, each plan on each split evaluated.</summary>
    [JsonPropertyName("plans")] public required IReadOnlyList<ScenePlanResult> Plans { get; init; }

    /// <summary>The full-compute row of a split (null: not evaluated).</summary>
    public ScenePlanResult? Full(CaptionSplit split) => Plans.FirstOrDefault(p => p.Name == "full" && p.Split == split);

    /// <summary>
    /// The table with the paired comparisons filled in: every row against full compute of its split (same images),
    /// its time saved per FLOPs saved, and every held-out row against the same plan's training row (same scenes and seeds).
    /// </summary>
    public ScenePlanTable WithComparisons() => this with
    {
        Plans = Plans.Select(row =>
        {
            var full = Full(row.Split);
            var training = row.Split == CaptionSplit.HeldOut ? Plans.FirstOrDefault(p => p.Name == row.Name && p.Split == CaptionSplit.Training) : null;
            return row with
            {
                VsFull = full is null || ReferenceEquals(full, row) ? null : Paired(row, full),
                TimeSavedPerFlopsSaved = full is null || row.FlopsFraction >= 1 ? null : (1 - row.MsPerImage / full.MsPerImage) / (1 - row.FlopsFraction),
                HeldOutGap = training is null ? null : Paired(row, training),
            };
        }).ToList(),
    };

    /// <summary>Checks issue 21's targets on this table (call <see cref="WithComparisons"/> first).</summary>
    public SceneTargetCheck Check(QualityTargets targets)
    {
        ArgumentNullException.ThrowIfNull(targets);
        var full = Full(CaptionSplit.Training);
        var sameSteps = full is null ? [] : Plans.Where(p => p.Split == CaptionSplit.Training && p.Name != full.Name
            && p.Steps == full.Steps && p.FewerStepsSaving == 0 && p.FlopsFraction <= targets.MatchFlopsFraction).ToList();
        bool Keeps(ScenePlanResult p) => p.FrechetDistance <= full!.FrechetDistance * targets.FrechetRatio
            && full.Accuracy.All(kv => p.Accuracy.TryGetValue(kv.Key, out var a) && a >= kv.Value - targets.AccuracyMargin - 1e-9);
        var matching = sameSteps.Where(Keeps).OrderBy(p => p.FlopsPerImage).FirstOrDefault();
        var heldOutFull = Full(CaptionSplit.HeldOut);
        return new SceneTargetCheck(full, matching, sameSteps.Count, heldOutFull, targets);
    }

    private static Dictionary<string, PairedDifference> Paired(ScenePlanResult row, ScenePlanResult reference) =>
        row.Hits.Where(kv => reference.Hits.TryGetValue(kv.Key, out var r) && r.Length == kv.Value.Length && r.Length > 0)
            .ToDictionary(kv => kv.Key, kv => PairedDifference.Of(kv.Value, reference.Hits[kv.Key]));
}
