using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using FlexiDiT.Evaluation;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit train-scene-classifier</c>: the attribute classifier that judges the text-to-image scene model.</summary>
internal static class TrainSceneClassifierCommand
{
    // The test scenes come from a seed training never uses.
    private const long TestSeedOffset = 1_000_003;
    private const int TestCount = 4000;

    public static Command Create()
    {
        var output = new Option<FileInfo>("--out") { Description = "Where to write the classifier (.safetensors); a card.md with its measured accuracy goes beside it", Required = true };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 3000, Description = "Training steps" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64, Description = "Scenes per step" };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 42, Description = "Data seed (the test scenes use another)" };
        var test = new Option<int>("--test-count") { DefaultValueFactory = _ => TestCount, Description = "Held-out scenes to measure accuracy on" };
        var command = new Command("train-scene-classifier", "Train the scene attribute classifier (shape, colour, size, position, background) that judges the text-to-image model") { output, steps, batch, seed, test };
        command.SetAction(parse =>
        {
            var file = parse.GetValue(output)!;
            int n = parse.GetValue(steps), perStep = parse.GetValue(batch), testCount = parse.GetValue(test);
            if (n < 1) throw new ArgumentException($"--steps must be at least 1; got {n}.");
            if (perStep < 1) throw new ArgumentException($"--batch must be at least 1; got {perStep}.");
            if (testCount < 1) throw new ArgumentException($"--test-count must be at least 1; got {testCount}.");
            long dataSeed = parse.GetValue(seed);
            var clock = Stopwatch.StartNew();
            using var classifier = SceneClassifier.Train(n, perStep, dataSeed, Console.Out);
            double seconds = clock.Elapsed.TotalSeconds;
            var accuracy = classifier.Accuracy(dataSeed + TestSeedOffset, testCount);
            file.Directory?.Create();
            classifier.Save(file.FullName);
            string card = Path.Combine(file.DirectoryName!, "card.md");
            File.WriteAllText(card, Card(file.Name, n, perStep, dataSeed, testCount, accuracy, seconds));
            Console.WriteLine($"held-out accuracy: {accuracy}; trained in {seconds:F0} s; wrote {file.FullName} and {card}");
            return accuracy.PerAttribute.Values.Min() >= 0.9 ? 0 : 1;
        });
        return command;
    }

    private static string Card(string weights, int steps, int batch, long seed, int testCount, SceneAccuracy accuracy, double seconds)
    {
        var c = CultureInfo.InvariantCulture;
        var rows = accuracy.PerAttribute.Select(kv => string.Create(c, $"| {kv.Key.ToString().ToLowerInvariant()} | {kv.Value * 100:F2} % |"));
        return $"""
            # Scene attribute classifier

            The judge of the text-to-image Shapes scene model: one small CNN (4 conv layers, a 64-wide feature layer) with a head
            per attribute: shape (5), colour (8), size (3), position (3×3 grid, 9) and background (light/dark, 2). It is trained
            on rendered scenes (`SceneDataset`, seed {seed}) with a little pixel noise, and measured on {testCount} scenes of
            another seed ({seed + TestSeedOffset}) that training never saw.

            | attribute | accuracy on held-out real scenes |
            |---|---|
            {string.Join("\n", rows)}
            | all five right | {string.Create(c, $"{accuracy.AllCorrect * 100:F2}")} % |

            Weights: `{weights}` (safetensors, `SceneClassifier.Load`). Made by
            `flexidit train-scene-classifier --out {weights} --steps {steps} --batch {batch} --seed {seed} --test-count {testCount}`
            in {seconds:F0} s of training ({Environment.ProcessorCount} cores, {System.Runtime.InteropServices.RuntimeInformation.ProcessArchitecture}).
            """ + "\n";
    }
}
