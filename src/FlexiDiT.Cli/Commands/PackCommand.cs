using System.CommandLine;
using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.Cli.Reporting;
using FlexiDiT.Data;
using FlexiDiT.Evaluation;
using FlexiDiT.Packs;
using FlexiDiT.Training;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit pack</c>: assembles a Shapes model pack (checkpoint, classifier, plans, card) from a trained, converted and evaluated model.</summary>
internal static class PackCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "The FlexiDiT checkpoint (from 'convert')", Required = true };
        var classifier = new Option<FileInfo>("--classifier") { Description = "The Shapes classifier (from 'train-classifier')", Required = true };
        var evaluation = new Option<FileInfo>("--eval") { Description = "plans.json written by 'eval'", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Pack folder to write", Required = true };
        var name = new Option<string>("--name") { DefaultValueFactory = _ => ModelPack.DefaultPackName, Description = "Pack name" };
        var training = new Option<FileInfo?>("--training-log") { Description = "train.log of the base run; its last line (the run's summary) goes on the card" };
        var conversion = new Option<FileInfo?>("--conversion-log") { Description = "The conversion's log; its last line (the summary) goes on the card" };
        var commands = new Option<FileInfo?>("--commands") { Description = "File with the commands that rebuild the pack (one per line)" };
        var command = new Command("pack", "Assemble a Shapes model pack: checkpoint, classifier, class names, measured plans, model card")
        { checkpoint, classifier, evaluation, output, name, training, conversion, commands };
        command.SetAction(parse =>
        {
            var dir = parse.GetValue(output)!;
            dir.Create();
            var table = JsonSerializer.Deserialize<PlanTable>(File.ReadAllText(parse.GetValue(evaluation)!.FullName))
                ?? throw new InvalidDataException("The plan table is empty.");
            // Default: the cheapest plan whose quality matches full compute (FD within 5 %, accuracies within 1 point).
            var defaultPlan = new QualityTargets().CheapestMatching(table);

            File.Copy(parse.GetValue(checkpoint)!.FullName, Path.Combine(dir.FullName, "model.safetensors"), overwrite: true);
            File.Copy(parse.GetValue(classifier)!.FullName, Path.Combine(dir.FullName, "classifier.safetensors"), overwrite: true);
            File.WriteAllLines(Path.Combine(dir.FullName, "classes.txt"), ShapesDataset.ClassNames);
            table = table with { Model = parse.GetValue(name)! };
            EvalReportWriter.WriteJson(table, Path.Combine(dir.FullName, "plans.json"));
            var manifest = new ModelPackManifest
            {
                Name = parse.GetValue(name)!,
                Description = "FlexiDiT trained on procedural Shapes (32×32 RGB, 40 classes, pixel space); patch 2 + weak patch 4",
                Checkpoint = "model.safetensors",
                Classes = "classes.txt",
                Classifier = "classifier.safetensors",
                PlanTable = "plans.json",
                Card = "card.md",
                Defaults = new SamplingDefaults { Plan = defaultPlan.Name, Seed = 0, DisplaySize = 256 },
                Plans = table.Plans.Select(p => p.Spec).ToList(),
            };
            File.WriteAllText(Path.Combine(dir.FullName, ModelPack.ManifestFileName), JsonSerializer.Serialize(manifest, ModelPack.JsonOptions));

            var figures = CopyFigures(parse.GetValue(evaluation)!.Directory!, dir, table, defaultPlan.Name);

            using var model = DiTCheckpoint.Load(Path.Combine(dir.FullName, "model.safetensors"));
            var card = new ModelCard(manifest.Name, model.Config, model.parameters().Sum(p => p.numel()), ModelCard.Gflops(model.Config), ModelCard.DataRecipeText,
                parse.GetValue(commands) is { } c ? File.ReadAllLines(c.FullName) : [], Summary(parse.GetValue(training)), Summary(parse.GetValue(conversion)), table, defaultPlan.Name, figures);
            card.WriteJson(Path.Combine(dir.FullName, "card.json"));
            card.WriteMarkdown(Path.Combine(dir.FullName, "card.md"));
            ModelPack.Load(dir.FullName); // the pack must load as written
            Console.WriteLine($"wrote pack {manifest.Name} to {dir.FullName}; default plan {defaultPlan.Name} ({defaultPlan.FlopsFraction:P0} FLOPs)");
            return 0;
        });
        return command;
    }

    /// <summary>
    /// Copies the eval's plot and the sample grids of full compute, the default plan and the best cheap plan into the
    /// pack, after removing the figures of an earlier pack so that none outlives the model it showed.
    /// </summary>
    private static IReadOnlyList<string> CopyFigures(DirectoryInfo evalDir, DirectoryInfo packDir, PlanTable table, string defaultPlan)
    {
        foreach (var stale in packDir.EnumerateFiles("grid-*.png").Append(new FileInfo(Path.Combine(packDir.FullName, "plot.png"))))
            stale.Delete();
        var full = QualityTargets.Full(table);
        string?[] shown = [full.Name, defaultPlan, new QualityTargets().BestCheap(table, full)?.Name];
        var figures = new List<string>();
        foreach (string file in shown.OfType<string>().Distinct().Select(plan => $"grid-{plan}.png").Prepend("plot.png"))
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
