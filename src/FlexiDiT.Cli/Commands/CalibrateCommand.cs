using System.CommandLine;
using FlexiDiT.Extensions.AI;
using FlexiDiT.Packs;

namespace FlexiDiT.Cli.Commands;

/// <summary>
/// <c>flexidit calibrate</c>: milliseconds per batched forward at each patch size and batch on this machine, written as
/// the latency model the compute policy predicts SLAs with (the generator loads it; without one it calibrates quickly
/// on first use).
/// </summary>
internal static class CalibrateCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model pack (default: the shipped Shapes FlexiDiT)" };
        var output = new Option<FileInfo?>("--out") { Description = "Latency model file (default: latency-<pack>.json next to the budget ledger, where the generator looks)" };
        var batches = new Option<int[]>("--batches") { Description = "Batch sizes (single-image forwards per call)", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [.. FlexiDiTCalibration.DefaultBatches] };
        var warmup = new Option<int>("--warmup") { DefaultValueFactory = _ => 2, Description = "Untimed forwards before each measurement" };
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 7, Description = "Timed forwards per measurement (the median is kept)" };
        var device = new Option<string?>("--device") { Description = "TorchSharp device (cpu, cuda, cuda:1); default cpu" };
        var command = new Command("calibrate", "Measure ms per forward per patch size and batch, and write the latency model the compute policy uses")
        { model, output, batches, warmup, repeats, device };
        command.SetAction(parse =>
        {
            var pack = ModelPack.Find(parse.GetValue(model));
            string path = parse.GetValue(output)?.FullName ?? FlexiDiTPaths.LatencyModelPath(pack.Name);
            var torchDevice = FlexiDiT.Engine.EngineDevice.Parse(parse.GetValue(device));
            Console.WriteLine($"calibrating {pack.Name} ({pack.ManifestPath}), {TorchSharp.torch.get_num_threads()} torch threads");
            var latency = FlexiDiTCalibration.Measure(pack, parse.GetValue(batches), parse.GetValue(warmup), parse.GetValue(repeats), torchDevice, log: Console.Out);
            latency.Save(path);
            Console.WriteLine($"wrote {path}");
            return 0;
        });
        return command;
    }
}
