using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.Cli.Reporting;
using FlexiDiT.Evaluation;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Sampling;
using FlexiDiT.TextEncoders;

namespace FlexiDiT.Cli.Commands;

/// <summary>
/// <c>flexidit eval --checkpoint</c> on a text-to-image scenes checkpoint: the plans on scene captions of one or both
/// phrasing splits, judged by the scene classifier, paired with full compute and across splits.
/// </summary>
internal static class TextToImageEvaluation
{
    /// <summary>Where the repository keeps the shipped scene classifier.</summary>
    public const string ShippedClassifier = "models/scenes-classifier/classifier.safetensors";

    // Full compute, the class pack's weak-first plans at the same steps, and fewer steps as a separate saving.
    private static readonly string[] DefaultPlans = ["full", "weak30", "weak50", "weak70", "steps-half"];

    /// <summary>The settings of one evaluation.</summary>
    public sealed record Settings(string Checkpoint, string? Classifier, int Images, int Batch, int Steps, double Guidance, string[] Plans,
        string Split, DirectoryInfo Output, bool Json, long Seed);

    public static int Run(Settings settings)
    {
        if (settings.Images < 1 || settings.Batch < 1)
            throw new ArgumentException($"--images and --batch must be at least 1; got {settings.Images} and {settings.Batch}.");
        CaptionSplit[] splits = settings.Split switch
        {
            "training" => [CaptionSplit.Training],
            "held-out" => [CaptionSplit.HeldOut],
            "both" => [CaptionSplit.Training, CaptionSplit.HeldOut],
            _ => throw new ArgumentException($"--split is training, held-out or both; got '{settings.Split}'."),
        };
        string classifierPath = settings.Classifier ?? (File.Exists(ShippedClassifier) ? Path.GetFullPath(ShippedClassifier)
            : throw new ArgumentException($"Give --classifier: the scene classifier ({ShippedClassifier} in the repository, or train one with 'flexidit train-scene-classifier')."));
        var sweep = PlanSweep.Default(settings.Steps, settings.Guidance);
        var unknown = settings.Plans.Where(p => sweep.All(s => s.Name != p)).ToList();
        if (unknown.Count > 0)
            throw new ArgumentException($"Unknown --plan {string.Join(", ", unknown)}; the plans are {string.Join(", ", sweep.Select(s => s.Name))}.");
        using var model = TextToImageCheckpoint.Load(settings.Checkpoint);
        using var encoder = SceneTextEncoder.Load(settings.Checkpoint);
        using var judge = SceneClassifier.Load(classifierPath);
        var geometry = model.Denoiser.Geometry;
        var plans = sweep.Where(p => settings.Plans.Length == 0 ? DefaultPlans.Contains(p.Name) : settings.Plans.Contains(p.Name)).ToList();
        var log = settings.Json ? Console.Error : Console.Out;
        if (geometry.AllPatchSizes.Count < 2)
        {
            plans = plans.Where(p => p.PowerfulCondSteps is null && p.PowerfulGuidanceSteps is null).ToList();
            log.WriteLine("the checkpoint has no weak patch size (convert it with 'flexidit convert'): evaluating full-compute plans only");
        }
        long fullFlops = SamplingRun.PlanFlops(geometry, sweep[0].Build(geometry), 1);
        var evaluator = new ScenePlanEvaluator(model.Denoiser, encoder, judge, settings.Images, settings.Batch, settings.Seed, log);
        settings.Output.Create();
        var rows = new List<ScenePlanResult>();
        foreach (var split in splits)
        {
            foreach (var spec in plans)
            {
                var (row, samples) = evaluator.Evaluate(spec, split, fullFlops);
                rows.Add(row);
                EvalReportWriter.WriteGrid(samples, Path.Combine(settings.Output.FullName, $"grid-{spec.Name}-{ScenePlanEvaluator.SplitName(split)}.png"));
                samples.Dispose();
            }
        }
        var judgeOnReal = evaluator.JudgeOnReal;
        var table = new ScenePlanTable
        {
            Model = Path.GetFileNameWithoutExtension(settings.Checkpoint),
            ImagesPerPlan = settings.Images,
            MeasuredOn = $"{Environment.ProcessorCount} CPU cores, {TorchSharp.torch.get_num_threads()} torch threads, {DateTime.UtcNow:yyyy-MM-dd}",
            JudgeAccuracyOnReal = judgeOnReal.PerAttribute.ToDictionary(kv => ScenePlanEvaluator.Name(kv.Key), kv => kv.Value)
                .Append(KeyValuePair.Create(ScenePlanEvaluator.AllKey, judgeOnReal.AllCorrect)).ToDictionary(),
            Plans = rows,
        }.WithComparisons();
        File.WriteAllText(Path.Combine(settings.Output.FullName, "plans.json"), JsonSerializer.Serialize(table, EvalReportWriter.Json));
        string markdown = SceneEvalReport.Markdown(table) + $"{Environment.NewLine}Targets:{Environment.NewLine}{table.Check(new QualityTargets()).Markdown()}{Environment.NewLine}";
        File.WriteAllText(Path.Combine(settings.Output.FullName, "plans.md"), markdown);
        Console.WriteLine(settings.Json ? JsonSerializer.Serialize(table, EvalReportWriter.Json) : markdown);
        log.WriteLine($"wrote {settings.Output.FullName}/plans.json, plans.md and grid-*.png");
        return 0;
    }
}
