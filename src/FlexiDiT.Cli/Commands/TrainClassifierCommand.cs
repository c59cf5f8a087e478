using System.CommandLine;
using FlexiDiT.Evaluation;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit train-classifier</c>: the Shapes classifier the evaluation judges with.</summary>
internal static class TrainClassifierCommand
{
    public static Command Create()
    {
        var output = new Option<FileInfo>("--out") { Description = "Where to write the classifier (.safetensors)", Required = true };
        var steps = new Option<int>("--steps") { DefaultValueFactory = _ => 1500, Description = "Training steps" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 64, Description = "Images per step" };
        var seed = new Option<long>("--seed") { DefaultValueFactory = _ => 42, Description = "Data seed (the test set uses another)" };
        var command = new Command("train-classifier", "Train the Shapes classifier used by 'eval' (accuracy and Fréchet-distance features)") { output, steps, batch, seed };
        command.SetAction(parse =>
        {
            var classifier = ShapesClassifier.Train(parse.GetValue(steps), parse.GetValue(batch), parse.GetValue(seed), Console.Out);
            double accuracy = classifier.Accuracy(parse.GetValue(seed) + 1_000_003, 2000);
            classifier.Save(parse.GetValue(output)!.FullName);
            Console.WriteLine($"held-out accuracy {accuracy:P2} on 2000 fresh images; wrote {parse.GetValue(output)!.FullName}");
            return accuracy >= 0.9 ? 0 : 1;
        });
        return command;
    }
}
