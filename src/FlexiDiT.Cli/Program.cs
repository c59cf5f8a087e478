using System.CommandLine;
using System.Runtime.InteropServices;
using FlexiDiT.Cli.Commands;

var root = new RootCommand("flexidit: a variable-compute Diffusion Transformer (FlexiDiT) in TorchSharp")
{
    ReferenceCheckCommand.Create(),
    TrainCommand.Create(),
    TrainTextToImageCommand.Create(),
    SampleTextToImageCommand.Create(),
    CaptionGainCommand.Create(),
    VaeCheckCommand.Create(),
    T5CheckCommand.Create(),
    TrainClassifierCommand.Create(),
    TrainSceneClassifierCommand.Create(),
    ScenesCommand.Create(),
    ConvertCommand.Create(),
    EvalCommand.Create(),
    BenchCommand.Create(),
    CalibrateCommand.Create(),
    FlopsCommand.Create(),
    GenerateCommand.Create(),
    TraceCommand.Create(),
    ModelsCommand.Create(),
    PackCommand.Create(),
    BudgetCommand.Create(),
};
// SIGTERM (a service manager, `kill`, a CI timeout) cancels the running command like Ctrl+C does: train and convert
// finish their step and write a checkpoint. A second SIGTERM ends the process at once.
using var terminated = new CancellationTokenSource();
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = !terminated.IsCancellationRequested;
    terminated.Cancel();
});
try
{
    return await root.Parse(args).InvokeAsync(new InvocationConfiguration
    {
        EnableDefaultExceptionHandler = false,
        // After Ctrl+C, the grace before the process is ended regardless: a checkpoint takes longer than the default 2 s.
        ProcessTerminationTimeout = TimeSpan.FromMinutes(1),
    }, terminated.Token);
}
catch (Exception e) when (e is InvalidDataException or ArgumentException or FileNotFoundException or DirectoryNotFoundException or InvalidOperationException or InsufficientMemoryException)
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
