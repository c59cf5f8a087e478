using System.Globalization;
using System.Text.Json;
using FlexiDiT.Evaluation;
using FlexiDiT.Models;
using FlexiDiT.Sampling;

namespace FlexiDiT.Cli.Reporting;

/// <summary>
/// The plan table a pack ships (<c>plans.json</c>, what the governance chooses plans from) made from what
/// <c>flexidit eval</c> wrote: a class model's table as it is; a scenes model's table (one row per plan and caption
/// split, quality per attribute) as its training-split rows, with "class accuracy" read as the share of images whose
/// every named attribute is right and colour accuracy as the colour attribute's, and each plan's forwards per patch
/// size computed from its spec.
/// </summary>
internal static class PackPlanTable
{
    /// <summary>Reads <paramref name="evalPath"/> as the pack's table for a model of <paramref name="geometry"/>.</summary>
    public static PlanEvaluation Read(string evalPath, IDenoiserGeometry geometry)
    {
        string json = File.ReadAllText(evalPath);
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("plans", out var plans) || plans.ValueKind != JsonValueKind.Array || plans.GetArrayLength() == 0)
            throw new InvalidDataException($"{evalPath} has no 'plans'; give the plans.json written by 'flexidit eval'.");
        bool perSplit = plans.EnumerateArray().Any(row => row.TryGetProperty("split", out _));
        if (!perSplit)
            return JsonSerializer.Deserialize<PlanEvaluation>(json) ?? throw new InvalidDataException($"{evalPath}: the plan table is empty.");

        var rows = plans.EnumerateArray()
            .Where(row => string.Equals(row.GetProperty("split").GetString(), "Training", StringComparison.OrdinalIgnoreCase))
            .Select(row => FromSceneRow(row, geometry, evalPath))
            .ToList();
        if (rows.Count == 0)
            throw new InvalidDataException($"{evalPath} has no rows of the training phrasing; run 'flexidit eval' with --split training or both.");
        return new PlanEvaluation
        {
            Model = doc.RootElement.GetProperty("model").GetString() ?? "",
            ImagesPerPlan = doc.RootElement.TryGetProperty("imagesPerPlan", out var n) ? n.GetInt32() : 0,
            MeasuredOn = doc.RootElement.TryGetProperty("measuredOn", out var on) ? on.GetString() ?? "" : "",
            Plans = rows,
        };
    }

    private static PlanResult FromSceneRow(JsonElement row, IDenoiserGeometry geometry, string evalPath)
    {
        JsonElement Need(string field) => row.TryGetProperty(field, out var value)
            ? value
            : throw new InvalidDataException($"{evalPath}: a plan row has no '{field}'; is it a plan table of 'flexidit eval'?");
        var spec = Need("spec").Deserialize<PlanSpec>() ?? throw new InvalidDataException($"{evalPath}: a plan row has an empty 'spec'.");
        var plan = spec.Build(geometry);
        var accuracy = Need("accuracy");
        double? Accuracy(string attribute) => accuracy.TryGetProperty(attribute, out var a) ? a.GetDouble() : null;
        return new PlanResult
        {
            Name = Need("name").GetString()!,
            Description = Need("description").GetString()!,
            Spec = spec,
            Steps = Need("steps").GetInt32(),
            WeakSteps = Need("weakSteps").GetInt32(),
            Forwards = plan.ForwardsByPatch().ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => p.Value),
            FlopsPerImage = Need("flopsPerImage").GetDouble(),
            FlopsFraction = Need("flopsFraction").GetDouble(),
            FrechetDistance = Need("frechetDistance").GetDouble(),
            ClassAccuracy = Need("allNamedRight").GetDouble(),
            ShapeAccuracy = Accuracy("shape"),
            ColorAccuracy = Accuracy("color"),
            MsPerImage = Need("msPerImage").GetDouble(),
        };
    }
}
