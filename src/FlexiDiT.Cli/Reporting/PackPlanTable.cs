using System.Globalization;
using System.Text.Json;
using FlexiDiT.Evaluation;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;

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
        bool perSplit;
        using (var doc = JsonDocument.Parse(json))
        {
            if (!doc.RootElement.TryGetProperty("plans", out var plans) || plans.ValueKind != JsonValueKind.Array || plans.GetArrayLength() == 0)
                throw new InvalidDataException($"{evalPath} has no 'plans'; give the plans.json written by 'flexidit eval'.");
            // A scenes table has a row per plan and caption split; a class table has no split.
            perSplit = plans.EnumerateArray().Any(row => row.ValueKind == JsonValueKind.Object && row.TryGetProperty("split", out _));
        }
        if (!perSplit)
            return JsonSerializer.Deserialize<PlanEvaluation>(json) ?? throw new InvalidDataException($"{evalPath}: the plan table is empty.");

        ScenePlanTable scenes;
        try
        {
            scenes = JsonSerializer.Deserialize<ScenePlanTable>(json) ?? throw new InvalidDataException($"{evalPath}: the plan table is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{evalPath} is not a scenes plan table of 'flexidit eval' ({e.Message}); run 'flexidit eval' on the model again.", e);
        }
        var rows = scenes.Plans.Where(row => row.Split == CaptionSplit.Training).Select(row => FromSceneRow(row, geometry)).ToList();
        if (rows.Count == 0)
            throw new InvalidDataException($"{evalPath} has no rows of the training phrasing; run 'flexidit eval' with --split training or both.");
        return new PlanEvaluation { Model = scenes.Model, ImagesPerPlan = scenes.ImagesPerPlan, MeasuredOn = scenes.MeasuredOn, Plans = rows };
    }

    private static PlanResult FromSceneRow(ScenePlanResult row, IDenoiserGeometry geometry) => new()
    {
        Name = row.Name,
        Description = row.Description,
        Spec = row.Spec,
        Steps = row.Steps,
        WeakSteps = row.WeakSteps,
        Forwards = row.Spec.Build(geometry).ForwardsByPatch().ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => p.Value),
        FlopsPerImage = row.FlopsPerImage,
        FlopsFraction = row.FlopsFraction,
        FrechetDistance = row.FrechetDistance,
        ClassAccuracy = row.AllNamedRight,
        ShapeAccuracy = row.Accuracy.TryGetValue("shape", out var shape) ? shape : null,
        ColorAccuracy = row.Accuracy.TryGetValue("color", out var color) ? color : null,
        MsPerImage = row.MsPerImage,
    };
}
