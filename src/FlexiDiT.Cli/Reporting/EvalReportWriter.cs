using System.Globalization;
using System.Text;
using System.Text.Json;
using FlexiDiT.Evaluation;
using FlexiDiT.Flops;
using FlexiDiT.Imaging;
using SixLabors.ImageSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Cli.Reporting;

/// <summary>Writes what <c>eval</c> measured: the plan table (JSON), a Markdown table, a quality-vs-FLOPs plot and sample grids.</summary>
internal static class EvalReportWriter
{
    public static JsonSerializerOptions Json { get; } = new() { WriteIndented = true };

    public static string Markdown(PlanEvaluation table)
    {
        var s = new StringBuilder();
        s.AppendLine($"Model `{table.Model}`, {table.ImagesPerPlan} images per plan (same classes and seeds in every plan), {table.MeasuredOn}.");
        s.AppendLine();
        s.AppendLine("| plan | schedule | FLOPs/image | FLOPs vs full | saved: FlexiDiT (same steps) × fewer steps | FD ↓ | class acc. (classifier) | class vs full, paired (95 % CI) | shape acc. | colour acc. (detector) | colour acc. (classifier) | ms/image | time vs full |");
        s.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        double fullMs = table.Plans.FirstOrDefault(p => p.Name == "full")?.MsPerImage ?? table.Plans[0].MsPerImage;
        foreach (var p in table.Plans)
        {
            s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"| {p.Name} | {p.Description} | {p.FlopsPerImage / 1e9:F2} G | {p.FlopsFraction:P1} | {Savings(p, table)} | {p.FrechetDistance:F3} | {p.ClassAccuracy:P1} | {VersusFull(p)} | {p.ShapeAccuracy:P1} | {p.ColorAccuracy:P1} | {p.ClassifierColorAccuracy:P1} | {p.MsPerImage:F0} | {p.MsPerImage / fullMs:P1} |"));
        }
        var shapes = table.Plans.Where(p => p.ClassAccuracyByShape is not null).SelectMany(p => p.ClassAccuracyByShape!.Keys).Distinct().ToList();
        if (shapes.Count > 0)
        {
            s.AppendLine();
            s.AppendLine("Class accuracy by the shape asked for:");
            s.AppendLine();
            s.AppendLine($"| plan | {string.Join(" | ", shapes)} |");
            s.AppendLine($"| --- |{string.Concat(shapes.Select(_ => " ---: |"))}");
            foreach (var p in table.Plans.Where(p => p.ClassAccuracyByShape is not null))
            {
                s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                    $"| {p.Name} | {string.Join(" | ", shapes.Select(k => p.ClassAccuracyByShape!.TryGetValue(k, out double a) ? a.ToString("P1", CultureInfo.InvariantCulture) : "–"))} |"));
            }
        }
        if ((table.Plans.FirstOrDefault(p => p.Name == "full") ?? table.Plans[0]) is { ShapesSeen: { } seen } reference)
        {
            var columns = seen.Values.SelectMany(row => row.Keys).Union(seen.Keys).Distinct().ToList();
            s.AppendLine();
            s.AppendLine($"What the classifier saw, `{reference.Name}` (rows: the shape asked for; columns: the shape it saw; images):");
            s.AppendLine();
            s.AppendLine($"| asked ↓ seen → | {string.Join(" | ", columns)} |");
            s.AppendLine($"| --- |{string.Concat(columns.Select(_ => " ---: |"))}");
            foreach (var (asked, row) in seen)
                s.AppendLine($"| {asked} | {string.Join(" | ", columns.Select(c => row.TryGetValue(c, out int n) ? n.ToString(CultureInfo.InvariantCulture) : "0"))} |");
        }
        if (table.JudgeShapeAccuracyOnReal is { Count: > 0 } judge)
        {
            s.AppendLine();
            s.AppendLine(string.Create(CultureInfo.InvariantCulture,
                $"The classifier on the real images of the Fréchet distance, shape accuracy: {string.Join(", ", judge.Select(j => $"{j.Key} {j.Value:P1}"))}."));
        }
        return s.ToString();
    }

    // Full compute itself and tables without per-image hits show a dash.
    // The FlexiDiT part against the same steps at full compute, times the fewer-steps part against the full plan.
    private static string Savings(PlanResult p, PlanEvaluation table)
    {
        if (p.SameStepsFullFlopsPerImage is not { } sameSteps) return "–";
        double reference = (table.Plans.FirstOrDefault(r => r.Name == "full") ?? p).FlopsPerImage;
        var savings = ComputeSavings.Of((long)p.FlopsPerImage, (long)Math.Max(sameSteps, p.FlopsPerImage), (long)reference);
        return string.Create(CultureInfo.InvariantCulture, $"{savings.FlexiDiTFraction:P0} × {savings.StepsFraction:P0}");
    }

    private static string VersusFull(PlanResult p) => p.ClassVsFull is { } d && p.Name != "full" ? d.Describe() : "–";

    public static void WritePlot(PlanEvaluation table, string path)
    {
        var plot = new ScottPlot.Plot();
        foreach (var p in table.Plans)
        {
            var marker = plot.Add.Marker(p.FlopsFraction * 100, p.FrechetDistance ?? double.NaN);
            marker.MarkerSize = 9;
            var text = plot.Add.Text(p.Name, p.FlopsFraction * 100, p.FrechetDistance ?? double.NaN);
            text.LabelFontSize = 10;
            text.OffsetX = 6;
        }
        plot.Title($"{table.Model}: Fréchet distance vs compute ({table.ImagesPerPlan} images per plan)");
        plot.XLabel("FLOPs per image, % of full compute");
        plot.YLabel("Fréchet distance (classifier features), lower is better");
        plot.Axes.SetLimitsX(0, 110);
        plot.SavePng(path, 1000, 650);
    }

    public static void WriteGrid(Tensor samples, string path, int columns = 8, int count = 40, int scale = 3)
    {
        var images = ImageExport.ToImages(samples.narrow(0, 0, Math.Min(count, samples.shape[0])));
        var upscaled = images.Select(i => ImageExport.Upscale(i, i.Width * scale)).ToList();
        using var grid = ImageExport.Grid(upscaled, columns);
        grid.SaveAsPng(path);
        foreach (var image in images.Concat(upscaled)) image.Dispose();
    }
}
