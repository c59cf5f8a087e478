using System.CommandLine;
using FlexiDiT.Data;
using FlexiDiT.Data.Scenes;
using FlexiDiT.Imaging;
using FlexiDiT.Prompts.Captions;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit scenes</c>: look at the captioned scene world (a grid of scenes, their captions listed).</summary>
internal static class ScenesCommand
{
    private const int MaxCount = 256;

    public static Command Create()
    {
        var output = new Option<FileInfo>("--out") { Description = "Grid image (.png, .jpg, .webp); the captions go to stdout and to a .txt beside it", Required = true };
        var count = new Option<int>("--count") { DefaultValueFactory = _ => 32, Description = $"Scenes to draw (1..{MaxCount})" };
        var columns = new Option<int>("--columns") { DefaultValueFactory = _ => 8, Description = "Scenes per grid row" };
        var size = new Option<int>("--size") { DefaultValueFactory = _ => 96, Description = "Pixels per scene in the grid (a multiple of 32)" };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 0, Description = "Data seed" };
        var start = new Option<long>("--start") { DefaultValueFactory = _ => 0, Description = "Index of the first scene" };
        var heldOut = new Option<bool>("--held-out") { Description = "Caption with the held-out templates and synonyms instead of the training ones" };
        var vocab = new Option<FileInfo?>("--vocab") { Description = "Also write the scene tokenizer's vocabulary (vocab.txt) here" };
        var command = new Command("scenes", "Draw captioned scenes of the text-to-image Shapes world, to look at the data") { output, count, columns, size, seed, start, heldOut, vocab };
        command.SetAction(parse =>
        {
            int n = parse.GetValue(count), perRow = parse.GetValue(columns);
            if (n < 1 || n > MaxCount) throw new ArgumentException($"--count must be between 1 and {MaxCount}; got {n}.");
            if (perRow < 1) throw new ArgumentException($"--columns must be at least 1; got {perRow}.");
            var file = parse.GetValue(output)!;
            string mediaType = ImageExport.MediaTypeOf(file.FullName);
            var split = parse.GetValue(heldOut) ? CaptionSplit.HeldOut : CaptionSplit.Training;
            var batch = new SceneDataset(parse.GetValue(seed)).Batch(parse.GetValue(start), n, split);
            using (batch.Images)
            {
                var cells = ImageExport.ToImages(batch.Images).Select(image => ImageExport.Upscale(image, parse.GetValue(size))).ToList();
                using var grid = ImageExport.Grid(cells, Math.Min(perRow, n));
                cells.ForEach(c => c.Dispose());
                file.Directory?.Create();
                File.WriteAllBytes(file.FullName, ImageExport.Encode(grid, mediaType));
            }
            var lines = batch.Samples.Select((s, i) => $"{i / perRow + 1},{i % perRow + 1}: \"{s.Caption}\" · {Describe(s.Scene)}").ToArray();
            File.WriteAllLines(Path.ChangeExtension(file.FullName, ".txt"), lines);
            Console.WriteLine($"{file.FullName}: {n} scenes, seed {parse.GetValue(seed)}, {split} captions (row,column: caption · what the scene shows)");
            foreach (string line in lines) Console.WriteLine(line);
            if (parse.GetValue(vocab) is { } vocabFile)
            {
                SceneVocabulary.Write(vocabFile.FullName);
                Console.WriteLine($"wrote the vocabulary ({SceneVocabulary.Tokens.Count} tokens) to {vocabFile.FullName}");
            }
            return 0;
        });
        return command;
    }

    private static string Describe(SceneAttributes scene) =>
        $"{scene.Size.ToString().ToLowerInvariant()} {ShapeColor.Palette[scene.ColorIndex].Name} {scene.Shape.ToString().ToLowerInvariant()}, {scene.Position}, {scene.Background.ToString().ToLowerInvariant()} background";
}
