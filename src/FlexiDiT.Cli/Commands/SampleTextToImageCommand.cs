using System.CommandLine;
using FlexiDiT.Checkpoints;
using FlexiDiT.Imaging;
using FlexiDiT.TextEncoders;
using FlexiDiT.Sampling;
using SixLabors.ImageSharp;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit sample-t2i</c>: images from a text-to-image checkpoint by caption, through the engine's sampler, as a grid.</summary>
internal static class SampleTextToImageCommand
{
    public static Command Create()
    {
        var captions = new Argument<string[]>("captions") { Description = "Captions, e.g. \"a red ring in the top left corner\"", Arity = ArgumentArity.OneOrMore };
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "ema.safetensors of a train-t2i run", Required = true };
        var count = new Option<int>("--count") { Description = "Images per caption (a grid row each)", DefaultValueFactory = _ => 4 };
        var respacing = new Option<string>("--respacing") { Description = "Timesteps: DDPM's respacing string (e.g. 50, ddim25)", DefaultValueFactory = _ => "50" };
        var solver = new Option<SolverKind>("--solver") { Description = "Ddpm, Ddim or DpmSolverPlusPlus", DefaultValueFactory = _ => SolverKind.Ddpm };
        var guidance = new Option<double>("--guidance") { Description = "Classifier-free guidance scale (1: none)", DefaultValueFactory = _ => 4.0 };
        var seed = new Option<long>("--seed") { Description = "Noise seed", DefaultValueFactory = _ => 0 };
        var output = new Option<FileInfo>("--out") { Description = "Grid image to write", DefaultValueFactory = _ => new FileInfo("t2i-grid.png") };
        var command = new Command("sample-t2i", "Draw images for captions with a text-to-image checkpoint (engine sampler, learned null caption for guidance) and write a grid")
        { captions, checkpoint, count, respacing, solver, guidance, seed, output };
        command.SetAction(parse =>
        {
            int perCaption = parse.GetValue(count);
            if (perCaption < 1) throw new ArgumentException($"--count must be at least 1; got {perCaption}.");
            string path = parse.GetValue(checkpoint)!.FullName;
            using var model = TextToImageCheckpoint.Load(path);
            // Through the pack's text encoder, so held-out synonyms are read as the engine reads them.
            using var textEncoder = SceneTextEncoder.Load(path);
            var rows = parse.GetValue(captions)!.SelectMany(c => Enumerable.Repeat(c, perCaption)).ToArray();
            using var condition = textEncoder.Encode(rows);
            var plan = ComputePlan.Full("full", parse.GetValue(respacing)!, model.Config.Denoiser.PatchSize, parse.GetValue(guidance), parse.GetValue(solver));
            var result = new Sampler(model.Denoiser).Sample(plan, condition, new SeededNoise(parse.GetValue(seed)));
            var images = ImageExport.ToImages(result.Samples);
            var views = images.Select(i => ImageExport.Upscale(i, 128)).ToArray();
            using var grid = ImageExport.Grid(views, perCaption);
            var file = parse.GetValue(output)!;
            file.Directory?.Create();
            grid.Save(file.FullName);
            foreach (var image in images.Concat(views)) image.Dispose();
            Console.WriteLine($"{rows.Length} images ({plan.Steps.Count} {plan.Solver} steps, guidance {plan.GuidanceScale}) in {result.Elapsed.TotalSeconds:F1} s → {file.FullName}");
            return 0;
        });
        return command;
    }
}
