using System.CommandLine;
using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.Cli.Reporting;
using FlexiDiT.Data;
using FlexiDiT.Engine;
using FlexiDiT.Evaluation;
using FlexiDiT.Packs;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Training;
using TorchSharp;

namespace FlexiDiT.Cli.Commands;

/// <summary>
/// <c>flexidit pack</c>: assembles a Shapes model pack from a trained, converted and evaluated model: a class pack
/// (checkpoint, classifier, class names, plans, card) from a DiT checkpoint, or a scenes text-to-image pack (the one
/// checkpoint holding encoder and denoiser, plans, card, prompt grid) from a text-to-image checkpoint.
/// </summary>
internal static class PackCommand
{
    /// <summary>Images per prompt in a scenes pack's prompt grid.</summary>
    private const int GridSeeds = 6;

    public static Command Create()
    {
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "The FlexiDiT checkpoint (from 'convert'): a DiT, or a text-to-image model (from 'train-t2i')", Required = true };
        var classifier = new Option<FileInfo?>("--classifier") { Description = "The classifier eval judged with (required for a class pack: 'train-classifier'; for a scenes pack: 'train-scene-classifier', optional)" };
        var evaluation = new Option<FileInfo>("--eval") { Description = "plans.json written by 'eval'", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Pack folder to write", Required = true };
        var name = new Option<string>("--name") { DefaultValueFactory = _ => ModelPack.DefaultPackName, Description = "Pack name" };
        var training = new Option<FileInfo?>("--training-log") { Description = "train.log of the base run; its last line (the run's summary) goes on the card" };
        var conversion = new Option<FileInfo?>("--conversion-log") { Description = "The conversion's log; its last line (the summary) goes on the card" };
        var commands = new Option<FileInfo?>("--commands") { Description = "File with the commands that rebuild the pack (one per line)" };
        var prompts = new Option<string[]>("--prompt") { Description = "Scenes packs: the prompts of the card's prompt grid (default: the examples the model's errors show)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("pack", "Assemble a Shapes model pack: checkpoint, classifier or text encoder, measured plans, model card, figures")
        { checkpoint, classifier, evaluation, output, name, training, conversion, commands, prompts };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(output)!;
            dir.Create();
            var evalFile = parse.GetValue(evaluation)!;
            string checkpointPath = parse.GetValue(checkpoint)!.FullName;
            bool scenes = TextToImageCheckpoint.IsTextToImage(checkpointPath);
            var table = scenes
                ? PackPlanTable.Read(evalFile.FullName, TextToImageCheckpoint.ReadConfig(checkpointPath).Denoiser)
                : JsonSerializer.Deserialize<PlanEvaluation>(File.ReadAllText(evalFile.FullName)) ?? throw new InvalidDataException("The plan table is empty.");
            // Default: the cheapest plan whose quality matches full compute (FD within 5 %, accuracies within 1 point).
            var defaultPlan = new QualityTargets().CheapestMatching(table);
            var judge = parse.GetValue(classifier);
            if (judge is null && !scenes)
                throw new ArgumentException("--classifier is required for a class pack (the Shapes classifier eval judged with; train one with 'flexidit train-classifier').");

            File.Copy(checkpointPath, Path.Combine(dir.FullName, "model.safetensors"), overwrite: true);
            if (judge is not null) File.Copy(judge.FullName, Path.Combine(dir.FullName, "classifier.safetensors"), overwrite: true);
            table = table with { Model = parse.GetValue(name)! };
            table.Save(Path.Combine(dir.FullName, "plans.json"));
            var manifest = new ModelPackManifest
            {
                Name = parse.GetValue(name)!,
                Description = scenes
                    ? "Text-to-image FlexiDiT trained on captioned Shapes scenes (32×32 RGB: shape, colour, size, 3×3 position, light/dark background; pixel space); patch 2 + weak patch 4"
                    : "FlexiDiT trained on procedural Shapes (32×32 RGB, 40 classes, pixel space); patch 2 + weak patch 4",
                Kind = scenes ? PackKind.TextToImage : PackKind.Class,
                Checkpoint = "model.safetensors",
                Classes = scenes ? null : "classes.txt",
                TextEncoder = scenes ? new TextEncoderReference { Kind = TextEncoderReference.Scenes } : null,
                Classifier = judge is null ? null : "classifier.safetensors",
                PlanTable = "plans.json",
                Card = "card.md",
                Defaults = new SamplingDefaults { Plan = defaultPlan.Name, Seed = 0, DisplaySize = 256 },
                Plans = table.Plans.Select(p => p.Spec).ToList(),
            };
            if (!scenes) File.WriteAllLines(Path.Combine(dir.FullName, "classes.txt"), ShapesDataset.ClassNames);
            File.WriteAllText(Path.Combine(dir.FullName, ModelPack.ManifestFileName), JsonSerializer.Serialize(manifest, ModelPack.JsonOptions));

            var figures = CopyFigures(evalFile.Directory!, dir, table, defaultPlan.Name);
            string[] rebuild = parse.GetValue(commands) is { } c ? File.ReadAllLines(c.FullName) : [];
            string trained = Summary(parse.GetValue(training)), converted = Summary(parse.GetValue(conversion));
            if (scenes)
            {
                var pack = ModelPack.Load(dir.FullName); // the pack must load as written, and draws the card's prompt grid
                string[] gridPrompts = parse.GetValue(prompts) is { Length: > 0 } given ? given : [.. NoSceneConceptException.Examples];
                WritePromptGrid(pack, gridPrompts, Path.Combine(dir.FullName, ScenesModelCard.PromptGridFile));
                using var model = TextToImageCheckpoint.Load(pack.CheckpointPath);
                var config = model.Config;
                // The eval's own report (per attribute, both phrasings, its targets) when it wrote one; else the pack's table.
                string evalReport = Path.Combine(evalFile.DirectoryName!, "plans.md");
                string evalMarkdown = File.Exists(evalReport) ? File.ReadAllText(evalReport) : EvalReportWriter.Markdown(table);
                var card = new ScenesModelCard(manifest.Name, config, model.parameters().Sum(p => p.numel()), ScenesModelCard.Gflops(config.Denoiser), rebuild, trained, converted,
                    evalMarkdown, defaultPlan.Name, gridPrompts, figures);
                card.WriteJson(Path.Combine(dir.FullName, "card.json"));
                card.WriteMarkdown(Path.Combine(dir.FullName, "card.md"));
            }
            else
            {
                using var model = DiTCheckpoint.Load(Path.Combine(dir.FullName, "model.safetensors"));
                var card = new ModelCard(manifest.Name, model.Config, model.parameters().Sum(p => p.numel()), ModelCard.Gflops(model.Config), ModelCard.DataRecipeText,
                    rebuild, trained, converted, table, defaultPlan.Name, figures);
                card.WriteJson(Path.Combine(dir.FullName, "card.json"));
                card.WriteMarkdown(Path.Combine(dir.FullName, "card.md"));
                ModelPack.Load(dir.FullName); // the pack must load as written
            }
            Console.WriteLine($"wrote pack {manifest.Name} to {dir.FullName}; default plan {defaultPlan.Name} ({defaultPlan.FlopsFraction:P0} FLOPs)");
            return 0;
        });
        return command;
    }

    /// <summary>Draws every prompt with the pack's default plan from the same seeds: one row per prompt.</summary>
    private static void WritePromptGrid(ModelPack pack, IReadOnlyList<string> prompts, string path)
    {
        using var engine = new GenerationEngine(pack);
        var jobs = prompts.Select(p => engine.GenerateAsync(GenerationJob.ForPrompt(p, GridSeeds, pack.DefaultPlan, pack.Manifest.Defaults.Seed))).ToArray();
        var results = Task.WhenAll(jobs).GetAwaiter().GetResult();
        using var samples = torch.cat(results.Select(r => r.Samples).ToArray(), 0);
        foreach (var r in results) r.Samples.Dispose();
        EvalReportWriter.WriteGrid(samples, path, columns: GridSeeds, count: (int)samples.shape[0]);
        foreach (var (prompt, result) in prompts.Zip(results).Where(p => p.Second.IgnoredWords.Count > 0))
            Console.WriteLine($"prompt grid: \"{prompt}\" ignored: {string.Join(", ", result.IgnoredWords)}");
    }

    /// <summary>
    /// Copies the eval's plot and the sample grids of full compute, the default plan and the best cheap plan into the
    /// pack, after removing the figures of an earlier pack so that none outlives the model it showed.
    /// </summary>
    private static IReadOnlyList<string> CopyFigures(DirectoryInfo evalDir, DirectoryInfo packDir, PlanEvaluation table, string defaultPlan)
    {
        foreach (var stale in packDir.EnumerateFiles("grid-*.png").Append(new FileInfo(Path.Combine(packDir.FullName, "plot.png"))))
            stale.Delete();
        var full = QualityTargets.Full(table);
        string?[] shown = [full.Name, defaultPlan, new QualityTargets().BestCheap(table, full)?.Name];
        var figures = new List<string>();
        // A scenes eval writes a grid per plan and caption split (grid-full-training.png, grid-full-held-out.png).
        var wanted = shown.OfType<string>().Distinct()
            .SelectMany(plan => new[] { $"grid-{plan}.png", $"grid-{plan}-training.png", $"grid-{plan}-held-out.png" })
            .Prepend("plot.png");
        foreach (string file in wanted)
        {
            string source = Path.Combine(evalDir.FullName, file);
            if (!File.Exists(source)) continue;
            File.Copy(source, Path.Combine(packDir.FullName, file), overwrite: true);
            figures.Add(file);
        }
        return figures;
    }

    private static string Summary(FileInfo? log) => log is null ? "" : TrainingLog.LastEntry(log.FullName);
}
