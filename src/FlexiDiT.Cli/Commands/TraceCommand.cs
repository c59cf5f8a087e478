using System.CommandLine;
using FlexiDiT.Engine;
using FlexiDiT.Imaging;
using FlexiDiT.Sampling;
using static TorchSharp.torch;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit trace "a red cross" --out trace.png</c>: what the model predicts along a sampling run.</summary>
internal static class TraceCommand
{
    public static Command Create()
    {
        var sampling = new PromptSamplingOptions();
        var output = new Option<FileInfo>("--out") { Description = "Grid image (.png, .jpg, .webp): one column per image, one row per recorded step; the last step's prediction is the final sample", Required = true };
        var count = new Option<int>("--count") { DefaultValueFactory = _ => 4, Description = "Number of images (columns)" };
        var every = new Option<int?>("--every") { Description = "Record every N-th step (default: about ten rows)" };
        var size = new Option<int>("--size") { DefaultValueFactory = _ => 64, Description = "Pixel size of each cell (a whole multiple of the native size)" };
        var guidance = new Option<double?>("--guidance") { Description = "Guidance scale instead of the plan's (1: unguided)" };
        var transposed = new Option<bool>("--transposed") { Description = "Show the model the transposed image and transpose its output back: an artifact that turns with it was learned by the model" };
        var command = new Command("trace", "Show the clean image each sampling step predicts, to see how images take shape and where artifacts start")
        {
            output, count, every, size, guidance, transposed,
        };
        sampling.AddTo(command);
        // Synchronous on purpose: TorchSharp's dispose scopes belong to a thread, and an await could move the rest elsewhere.
        command.SetAction((parse, cancellationToken) => Task.FromResult(Run(parse, cancellationToken)));
        return command;

        int Run(ParseResult parse, CancellationToken cancellationToken)
        {
            int n = parse.GetValue(count);
            if (n < 1 || n > 16) throw new ArgumentException($"--count must be between 1 and 16 (got {n}).");
            var (pack, classMatch, spec) = sampling.Resolve(parse);
            var match = classMatch ?? throw new ArgumentException($"'trace' draws class packs' trajectories; {pack.Name} is a text-to-image pack (use 'generate').");
            if (parse.GetValue(guidance) is { } scale)
            {
                if (!(scale >= 1) || double.IsInfinity(scale)) throw new ArgumentException($"--guidance must be a finite scale ≥ 1 (got {scale}).");
                spec = spec with { GuidanceScale = scale };
            }
            var file = parse.GetValue(output)!;
            string mediaType = ImageExport.MediaTypeOf(file.FullName);
            int stride = parse.GetValue(every) ?? Math.Max(1, (int)Math.Ceiling(spec.Steps / 10.0));
            if (stride < 1) throw new ArgumentException($"--every must be at least 1 (got {stride}).");

            using var scope = NewDisposeScope();
            using var dit = pack.LoadModel(EngineDevice.Parse(parse.GetValue(sampling.Device)));
            var plan = spec.Build(dit.Config);
            var frame = parse.GetValue(transposed) ? ModelFrame.Transposed : ModelFrame.Upright;
            var trace = new Sampler(dit).Trace(plan, Enumerable.Repeat((long)match.ClassIndex, n).ToArray(), new SeededNoise(sampling.SeedOf(parse, pack)), stride, frame, cancellationToken);

            var cells = ImageExport.ToImages(cat(trace.Frames.Select(f => f.PredictedStart).ToArray(), 0)).Select(image => ImageExport.Upscale(image, parse.GetValue(size))).ToList();
            using var grid = ImageExport.Grid(cells, n);
            cells.ForEach(c => c.Dispose());
            file.Directory?.Create();
            File.WriteAllBytes(file.FullName, ImageExport.Encode(grid, mediaType));

            Console.WriteLine($"{file.FullName}: \"{match.Name}\" · plan {spec.Name}: {spec.Describe()}{(frame == ModelFrame.Transposed ? " · model frame transposed" : "")}");
            for (int i = 0; i < trace.Frames.Count; i++)
            {
                var f = trace.Frames[i];
                Console.WriteLine($"row {i + 1}: x0 predicted at step {f.Step}/{plan.Steps.Count} (t = {f.Timestep}, patch {f.CondPatch})");
            }
            return 0;
        }
    }
}
