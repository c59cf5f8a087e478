using System.CommandLine;
using FlexiDiT.Data;
using FlexiDiT.Training;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit train</c>: trains a class-conditional DiT on Shapes from scratch (resumable).</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var shared = new TrainingRunOptions();
        var depth = new Option<int>("--depth") { Description = "DiT blocks", DefaultValueFactory = _ => 6 };
        var hidden = new Option<int>("--hidden") { Description = "Width", DefaultValueFactory = _ => 192 };
        var heads = new Option<int>("--heads") { Description = "Attention heads", DefaultValueFactory = _ => 3 };
        var labelStd = new Option<double?>("--label-init-std") { Description = "Class-embedding init std (default: DiT's 0.02)" };
        var labelLr = new Option<double>("--label-lr-scale") { Description = "Learning-rate multiplier of the class embedding", DefaultValueFactory = _ => 1.0 };
        var additive = new Option<bool>("--label-additive") { Description = "Keep the class embedding additive: shape vector + colour vector (classes share what a shape looks like)" };
        var shapeWeight = new Option<string[]>("--shape-weight")
        {
            Description = "Draw the labelled samples of a shape this many times as often, e.g. cross=2 (repeatable; other shapes weigh 1, dropped-label samples stay uniform)",
        };
        var command = new Command("train", "Train a class-conditional DiT on the procedural Shapes data (patch 2, learned sigma, EMA, AdamW)")
        { depth, hidden, heads, labelStd, labelLr, additive, shapeWeight };
        shared.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            shared.PrepareMachine(parse);
            var options = shared.Fill(parse, new TrainOptions
            {
                RunDirectory = shared.RunDirectoryOf(parse),
                Model = ShapesDataset.ModelConfig(parse.GetValue(depth), parse.GetValue(hidden), parse.GetValue(heads)),
                LabelInitStd = parse.GetValue(labelStd),
                LabelLearningRateScale = parse.GetValue(labelLr),
                AdditiveLabels = parse.GetValue(additive),
                ShapeWeights = ParseShapeWeights(parse.GetValue(shapeWeight)),
            });
            TrainingRunOptions.Print(new DiTTrainer(options).Run(cancellationToken));
            return Task.FromResult(0);
        });
        return command;
    }

    private static Dictionary<ShapeKind, double>? ParseShapeWeights(string[]? values)
    {
        if (values is not { Length: > 0 }) return null;
        var weights = new Dictionary<ShapeKind, double>();
        foreach (string value in values)
        {
            var parts = value.Split('=', 2);
            if (parts.Length != 2 || !Enum.TryParse<ShapeKind>(parts[0], ignoreCase: true, out var shape) || !Enum.IsDefined(shape)
                || !double.TryParse(parts[1], System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double weight))
            {
                throw new ArgumentException($"--shape-weight takes SHAPE=WEIGHT with a shape of {string.Join(", ", Enum.GetNames<ShapeKind>().Select(n => n.ToLowerInvariant()))}, e.g. cross=2; got '{value}'.");
            }

            weights[shape] = weight;
        }
        return weights;
    }
}
