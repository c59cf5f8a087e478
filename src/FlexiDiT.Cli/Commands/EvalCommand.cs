using System.CommandLine;
using System.Text.Json;
using FlexiDiT.Cli.Reporting;
using FlexiDiT.Evaluation;
using FlexiDiT.Models;
using TorchSharp;
using FlexiDiT.Packs;
using FlexiDiT.Sampling;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit eval</c>: quality vs FLOPs of compute plans on a Shapes model or a text-to-image scenes checkpoint.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model pack (default: the shipped Shapes FlexiDiT)" };
        var checkpoint = new Option<FileInfo?>("--checkpoint") { Description = "Evaluate this checkpoint instead of the pack's (same classes), or a text-to-image scenes checkpoint (train-t2i, convert)" };
        var classifier = new Option<FileInfo?>("--classifier") { Description = "Classifier (default: the pack's; for a text-to-image checkpoint the scene classifier, default " + TextToImageEvaluation.ShippedClassifier + ")" };
        var images = new Option<int>("--images") { DefaultValueFactory = _ => 120, Description = "Images per plan (classes cycle, or scene captions for a text-to-image checkpoint; same seeds for every plan)" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 40, Description = "Images sampled together" };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 50, Description = "DDPM steps of the full-compute plan the sweep is built around" };
        var guidance = new Option<double>("--guidance") { DefaultValueFactory = _ => 4.0, Description = "Guidance scale" };
        var plans = new Option<string[]>("--plan") { Description = "Only these plans of the sweep", AllowMultipleArgumentsPerToken = true };
        var output = new Option<DirectoryInfo>("--out") { DefaultValueFactory = _ => new DirectoryInfo("eval-out"), Description = "Folder for plans.json, plans.md, plot.png and grids" };
        var json = new Option<bool>("--json") { Description = "Print the plan table as JSON" };
        var split = new Option<string>("--split") { DefaultValueFactory = _ => "both", Description = "Text-to-image: caption phrasings, training, held-out or both (both adds the paired held-out gap)" };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 1234, Description = "Sampling seed" };
        var precision = new Option<string>("--precision") { DefaultValueFactory = _ => "float32", Description = "Class models: auto, float32 or bfloat16 (auto: bfloat16 only where the CPU has it natively; bfloat16 is refused where it would be emulated). Text-to-image checkpoints evaluate at float32" };
        var pairedFloat32 = new Option<bool>("--paired-float32") { Description = "With a reduced --precision: also sample every plan at float32 on the same images and report the paired accuracy difference, FD ratio and speed-up (precision.md, precision.json)" };
        var command = new Command("eval", "Sweep compute plans: Fréchet distance, class/colour accuracy, FLOPs and wall time per plan")
        { model, checkpoint, classifier, images, batch, steps, guidance, plans, output, json, split, seed, precision, pairedFloat32 };
        command.SetAction(parse =>
        {
            // A checkpoint and classifier given explicitly need no pack (that is how the shipped pack is built).
            var ckpt = parse.GetValue(checkpoint);
            var requested = InferencePrecisionExtensions.Parse(parse.GetValue(precision)!, "--precision");
            if (ckpt is not null && Checkpoints.TextToImageCheckpoint.IsTextToImage(ckpt.FullName))
            {
                if (requested == InferencePrecision.BFloat16 || parse.GetValue(pairedFloat32))
                    throw new ArgumentException("--precision bfloat16 and --paired-float32 evaluate class (DiT) models only so far; a text-to-image checkpoint evaluates at float32 (drop the option).");
                return TextToImageEvaluation.Run(new TextToImageEvaluation.Settings(ckpt.FullName, parse.GetValue(classifier)?.FullName, parse.GetValue(images),
                    parse.GetValue(batch), parse.GetValue(steps), parse.GetValue(guidance), parse.GetValue(plans) ?? [], parse.GetValue(split)!,
                    parse.GetValue(output)!, parse.GetValue(json), parse.GetValue(seed)));
            }
            var pack = ckpt is not null && parse.GetValue(classifier) is not null ? null : ModelPack.Find(parse.GetValue(model));
            var dtype = requested.Resolve(option: "--precision");
            if (parse.GetValue(pairedFloat32) && dtype == torch.ScalarType.Float32)
                throw new ArgumentException("--paired-float32 compares a reduced precision with float32: add --precision bfloat16 (or auto on a CPU with native bfloat16).");
            DiT Load() => ckpt is not null ? Checkpoints.DiTCheckpoint.Load(ckpt.FullName) : pack!.LoadModel();
            using var dit = Load();
            if (dtype != torch.ScalarType.Float32) dit.to(dtype);
            // The float32 reference is a second copy of the same weights, sampled from the same seeds plan by plan.
            using var reference = parse.GetValue(pairedFloat32) ? Load() : null;
            string modelName = pack?.Name ?? Path.GetFileNameWithoutExtension(ckpt!.Name);
            string classifierPath = parse.GetValue(classifier)?.FullName ?? (pack!.Manifest.Classifier is { } c ? pack.Resolve(c)
                : throw new ArgumentException($"Model pack {pack.Name} has no classifier; pass --classifier (train one with 'flexidit train-classifier')."));
            using var judge = ShapesClassifier.Load(classifierPath);
            var outDir = parse.GetValue(output)!;
            outDir.Create();
            string[] only = parse.GetValue(plans) ?? [];
            var sweep = PlanSweep.Default(parse.GetValue(steps), parse.GetValue(guidance)).Where(p => only.Length == 0 || only.Contains(p.Name)).ToList();
            if (dit.Config.FlexiPatchSizes.Length == 0) sweep = sweep.Where(p => p.PowerfulCondSteps is null && p.PowerfulGuidanceSteps is null).ToList();
            var full = sweep.FirstOrDefault(p => p.Name == "full") ?? PlanSweep.Default(parse.GetValue(steps), parse.GetValue(guidance))[0];
            long fullFlops = SamplingRun.PlanFlops(dit.Config, full.Build(dit.Config), 1);
            var log = parse.GetValue(json) ? Console.Error : Console.Out;
            var evaluator = new PlanEvaluator(dit, judge, parse.GetValue(images), parse.GetValue(batch), parse.GetValue(seed), log);
            var referenceEvaluator = reference is null ? null : new PlanEvaluator(reference, judge, parse.GetValue(images), parse.GetValue(batch), parse.GetValue(seed), log);
            var rows = new List<PlanResult>();
            var referenceRows = new List<PlanResult>();
            string precisionName = dtype == torch.ScalarType.BFloat16 ? "bfloat16" : "float32";
            foreach (var spec in sweep)
            {
                if (referenceEvaluator is not null)
                {
                    // Alternating plan by plan keeps the two precisions' wall times side by side under the same load.
                    log.Write("float32   ");
                    var (referenceRow, referenceSamples) = referenceEvaluator.Evaluate(spec, fullFlops);
                    referenceRows.Add(referenceRow);
                    referenceSamples.Dispose();
                    log.Write($"{precisionName,-10}");
                }
                var (row, samples) = evaluator.Evaluate(spec, fullFlops);
                rows.Add(row);
                EvalReportWriter.WriteGrid(samples, Path.Combine(outDir.FullName, $"grid-{spec.Name}.png"));
                samples.Dispose();
            }
            var table = new PlanEvaluation
            {
                Model = modelName,
                ImagesPerPlan = parse.GetValue(images),
                MeasuredOn = $"{Environment.ProcessorCount} CPU cores, {TorchSharp.torch.get_num_threads()} torch threads, {precisionName}, {DateTime.UtcNow:yyyy-MM-dd}",
                Plans = rows,
                JudgeShapeAccuracyOnReal = evaluator.JudgeShapeAccuracyOnReal,
            }.WithClassVsFull();
            table.Save(Path.Combine(outDir.FullName, "plans.json"));
            string markdown = EvalReportWriter.Markdown(table);
            if (rows.Any(r => r.Name == "full"))
                markdown += $"{Environment.NewLine}Targets:{Environment.NewLine}{new QualityTargets().Check(table).Markdown()}{Environment.NewLine}";
            if (referenceEvaluator is not null)
            {
                var comparison = PrecisionComparison.Pair(referenceRows, rows);
                string precisionMarkdown = PrecisionComparison.Markdown(comparison, precisionName);
                File.WriteAllText(Path.Combine(outDir.FullName, "precision.md"), precisionMarkdown);
                File.WriteAllText(Path.Combine(outDir.FullName, "precision.json"), JsonSerializer.Serialize(comparison, EvalReportWriter.Json));
                markdown += Environment.NewLine + precisionMarkdown;
            }
            File.WriteAllText(Path.Combine(outDir.FullName, "plans.md"), markdown);
            EvalReportWriter.WritePlot(table, Path.Combine(outDir.FullName, "plot.png"));
            if (parse.GetValue(json)) Console.WriteLine(JsonSerializer.Serialize(table, EvalReportWriter.Json));
            else Console.WriteLine(markdown);
            log.WriteLine($"wrote {outDir.FullName}/plans.json, plans.md, plot.png and grid-*.png");
            return 0;
        });
        return command;
    }
}
