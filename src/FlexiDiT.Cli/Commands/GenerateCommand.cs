using System.CommandLine;
using FlexiDiT.Engine;
using FlexiDiT.Flops;
using FlexiDiT.Imaging;
using FlexiDiT.Models;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit generate "a red circle" --out red.png</c>.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var sampling = new PromptSamplingOptions();
        var output = new Option<FileInfo>("--out") { Description = "Image file (.png, .jpg, .webp); several images get -1, -2, ... suffixes", Required = true };
        var count = new Option<int>("--count") { DefaultValueFactory = _ => 1, Description = "Number of images" };
        var size = new Option<int?>("--size") { Description = "Pixel size of the viewing copy (a whole multiple of the native size; default: the pack's)" };
        var precision = new Option<string>("--precision") { DefaultValueFactory = _ => "float32", Description = "auto, float32 or bfloat16 (auto: bfloat16 only where the CPU has it natively; bfloat16 is refused where it would be emulated)" };
        var command = new Command("generate", "Generate images from a prompt (a class of a class pack, or any text for a text-to-image pack), reporting FLOPs spent and saved") { output, count, size, precision };
        sampling.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            int n = parse.GetValue(count);
            if (n < 1 || n > 64) throw new ArgumentException($"--count must be between 1 and 64 (got {n}).");
            var (pack, match, plan) = sampling.Resolve(parse);
            var file = parse.GetValue(output)!;
            string mediaType = ImageExport.MediaTypeOf(file.FullName);
            using var engine = new GenerationEngine(pack, EngineDevice.Parse(parse.GetValue(sampling.Device)),
                precision: InferencePrecisionExtensions.Parse(parse.GetValue(precision)!, "--precision"));
            string prompt = parse.GetValue(sampling.Prompt)!;
            var job = match is null
                ? GenerationJob.ForPrompt(prompt, n, plan, sampling.SeedOf(parse, pack))
                : new GenerationJob(Enumerable.Repeat((long)match.ClassIndex, n).ToArray(), plan, sampling.SeedOf(parse, pack));
            var result = await engine.GenerateAsync(job, cancellationToken);

            var images = ImageExport.ToImages(result.Samples);
            int display = parse.GetValue(size) ?? pack.Manifest.Defaults.DisplaySize ?? images[0].Width;
            file.Directory?.Create();
            var written = new List<string>();
            for (int i = 0; i < images.Length; i++)
            {
                string stem = Path.Combine(file.DirectoryName!, Path.GetFileNameWithoutExtension(file.Name) + (n > 1 ? $"-{i + 1}" : ""));
                using var view = ImageExport.Upscale(images[i], display);
                await File.WriteAllBytesAsync(stem + file.Extension, ImageExport.Encode(view, mediaType), cancellationToken);
                await File.WriteAllBytesAsync(stem + ".native" + file.Extension, ImageExport.Encode(images[i], mediaType), cancellationToken);
                written.Add(stem + file.Extension);
                images[i].Dispose();
            }
            Console.WriteLine($"{string.Join(", ", written)} (and .native copies at {result.Samples.shape[3]}×{result.Samples.shape[2]})");
            Console.WriteLine($"{(match is null ? $"\"{prompt}\"" : $"\"{match.Name}\" (class {match.ClassIndex})")} · plan {plan.Name}: {plan.Describe()} · {n} image(s) · " +
                $"{FlopFormat.Format(result.FlopsSpent)} spent, {FlopFormat.Format(result.FlopsSaved)} saved: {result.Savings} · {result.Elapsed.TotalSeconds:F2} s");
            // The scenes model draws what it understood; say what it left out rather than let the image look wrong.
            if (result.IgnoredWords.Count > 0) Console.WriteLine($"ignored: {string.Join(", ", result.IgnoredWords)} (not something this model draws)");
            return 0;
        });
        return command;
    }
}
