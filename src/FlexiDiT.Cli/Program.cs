using System.CommandLine;
using FlexiDiT.Cli.Commands;

var root = new RootCommand("flexidit: a variable-compute Diffusion Transformer (FlexiDiT) in TorchSharp")
{
    ReferenceCheckCommand.Create(),
    TrainCommand.Create(),
    VaeCheckCommand.Create(),
    TrainClassifierCommand.Create(),
    ConvertCommand.Create(),
    EvalCommand.Create(),
    BenchCommand.Create(),
    CalibrateCommand.Create(),
    FlopsCommand.Create(),
    GenerateCommand.Create(),
    ModelsCommand.Create(),
    PackCommand.Create(),
    BudgetCommand.Create(),
};
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
}
catch (Exception e) when (e is InvalidDataException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException)
{
    // Bad input is the user's to fix: say what, without a stack trace.
    Console.Error.WriteLine($"error: {e.Message}");
    return 2;
}
catch (OperationCanceledException)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
