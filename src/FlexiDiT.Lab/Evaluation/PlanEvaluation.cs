using System.Text.Json;
using System.Text.Json.Serialization;

namespace FlexiDiT.Evaluation;

/// <summary>What <c>flexidit eval</c> measured for every plan of a model: the document written as <c>plans.json</c>.</summary>
public sealed record PlanEvaluation
{
    /// <summary>Model name.</summary>
    [JsonPropertyName("model")] public required string Model { get; init; }
    /// <summary>Images per plan.</summary>
    [JsonPropertyName("imagesPerPlan")] public int ImagesPerPlan { get; init; }
    /// <summary>Where and when it was measured.</summary>
    [JsonPropertyName("measuredOn")] public string MeasuredOn { get; init; } = "";
    /// <summary>
    /// The classifier's shape accuracy on the real images the Fréchet distance compares with, by shape: how far
    /// its verdicts on generated images can be trusted (null: not measured).
    /// </summary>
    [JsonPropertyName("judgeShapeAccuracyOnReal")] public IReadOnlyDictionary<string, double>? JudgeShapeAccuracyOnReal { get; init; }
    /// <summary>The rows.</summary>
    [JsonPropertyName("plans")] public required IReadOnlyList<PlanResult> Plans { get; init; }

    /// <summary>
    /// Writes the table as indented JSON to <paramref name="path"/>: the one writer of <c>plans.json</c>, which the
    /// governance's <c>PlanTable</c> reads (each row's <c>spec</c> is what the engine runs).
    /// </summary>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Indented));
    }

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>
    /// The table with every row's class accuracy compared with full compute's on the same images
    /// (<see cref="PlanResult.ClassVsFull"/>); unchanged when there is no <c>full</c> row with per-image hits.
    /// </summary>
    public PlanEvaluation WithClassVsFull()
    {
        if (Plans.FirstOrDefault(p => p.Name == "full")?.ClassHits is not { } full) return this;
        return this with
        {
            Plans = Plans.Select(p => p.ClassHits is { } hits && hits.Length == full.Length ? p with { ClassVsFull = PairedDifference.Of(hits, full) } : p).ToList(),
        };
    }
}
