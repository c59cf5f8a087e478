using System.Globalization;
using System.Text;
using FlexiDiT.Data.Scenes;
using FlexiDiT.Evaluation;

namespace FlexiDiT.Cli.Reporting;

/// <summary>The Markdown report of a text-to-image <c>eval</c>: the plan table, the paired comparisons, shapes and the judge.</summary>
internal static class SceneEvalReport
{
    private static readonly string[] Keys = [.. Enum.GetValues<SceneAttribute>().Select(ScenePlanEvaluator.Name), ScenePlanEvaluator.AllKey];

    public static string Markdown(ScenePlanTable table)
    {
        var s = new StringBuilder();
        s.AppendLine(Invariant($"{table.Model}: {table.ImagesPerPlan} images per plan and split, the same captions and seeds in every plan ({table.MeasuredOn})."));
        s.AppendLine();
        s.AppendLine("| plan | split | steps | FLOPs | FlexiDiT saved | fewer steps saved | FD | " + string.Join(" | ", Keys) + " | ms/img | time saved / FLOPs saved |");
        s.AppendLine("|---|---|---:|---:|---:|---:|---:|" + string.Concat(Keys.Select(_ => "---:|")) + "---:|---:|");
        foreach (var p in table.Plans)
        {
            var cells = Keys.Select(k => k == ScenePlanEvaluator.AllKey ? Percent(p.AllNamedRight) : p.Accuracy.TryGetValue(k, out var a) ? Percent(a) : "–");
            s.AppendLine(Invariant($"| {p.Name} | {ScenePlanEvaluator.SplitName(p.Split)} | {p.Steps} | {p.FlopsFraction:P1} | {p.FlexiDiTSaving:P1} | {p.FewerStepsSaving:P1} | {p.FrechetDistance:F2} | ") +
                string.Join(" | ", cells) + Invariant($" | {p.MsPerImage:F0} | {(p.TimeSavedPerFlopsSaved is { } r ? r.ToString("F2", CultureInfo.InvariantCulture) : "–")} |"));
        }
        Comparisons(s, "Paired with full compute (same captions and seeds): accuracy difference in points [95 % interval]", table.Plans.Where(p => p.VsFull is not null), p => p.VsFull!);
        Comparisons(s, "Held-out phrasings against the training phrasings of the same scenes and seeds, in points [95 % interval]", table.Plans.Where(p => p.HeldOutGap is not null), p => p.HeldOutGap!);
        var fulls = table.Plans.Where(p => p.Name == "full").ToList();
        if (fulls.Count > 0)
        {
            s.AppendLine().AppendLine("Full compute, shape accuracy by shape asked:").AppendLine();
            var shapes = fulls.SelectMany(p => p.ShapeAccuracyByShape.Keys).Distinct().ToList();
            s.AppendLine("| split | " + string.Join(" | ", shapes) + " |").AppendLine("|---|" + string.Concat(shapes.Select(_ => "---:|")));
            foreach (var p in fulls)
                s.AppendLine($"| {ScenePlanEvaluator.SplitName(p.Split)} | " + string.Join(" | ", shapes.Select(k => p.ShapeAccuracyByShape.TryGetValue(k, out var a) ? Percent(a) : "–")) + " |");
        }
        s.AppendLine().AppendLine("The judge (scene classifier) on real scenes: " + string.Join(", ", table.JudgeAccuracyOnReal.Select(kv => $"{kv.Key} {Percent(kv.Value)}")) + ".");
        return s.ToString();
    }

    private static void Comparisons(StringBuilder s, string title, IEnumerable<ScenePlanResult> rows, Func<ScenePlanResult, IReadOnlyDictionary<string, PairedDifference>> differences)
    {
        var list = rows.ToList();
        if (list.Count == 0) return;
        s.AppendLine().AppendLine(title + ":").AppendLine();
        s.AppendLine("| plan | split | " + string.Join(" | ", Keys) + " |").AppendLine("|---|---|" + string.Concat(Keys.Select(_ => "---|")));
        foreach (var p in list)
        {
            var d = differences(p);
            s.AppendLine($"| {p.Name} | {ScenePlanEvaluator.SplitName(p.Split)} | " + string.Join(" | ", Keys.Select(k => d.TryGetValue(k, out var v) ? v.Describe() : "–")) + " |");
        }
    }

    private static string Percent(double fraction) => fraction.ToString("P1", CultureInfo.InvariantCulture);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
