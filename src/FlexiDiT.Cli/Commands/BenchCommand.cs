using System.CommandLine;
using System.Text.Json;
using FlexiDiT.Benchmarks;
using FlexiDiT.Models;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit bench</c>: forward speed of a DiT config at each patch size of its FlexiDiT.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var depth = new Option<int>("--depth") { DefaultValueFactory = _ => 12, Description = "Blocks (DiT-S: 12)" };
        var hidden = new Option<int>("--hidden") { DefaultValueFactory = _ => 384, Description = "Width (DiT-S: 384)" };
        var heads = new Option<int?>("--heads") { Description = "Heads (default: the official value for the width)" };
        var patch = new Option<int>("--patch") { DefaultValueFactory = _ => 2, Description = "Original patch size; the weak one is twice it" };
        var inputSize = new Option<int>("--input-size") { DefaultValueFactory = _ => 32, Description = "Latent side (256² images: 32)" };
        var inChannels = new Option<int>("--in-channels") { DefaultValueFactory = _ => 4, Description = "Input channels" };
        var batch = new Option<int>("--batch") { DefaultValueFactory = _ => 2, Description = "Images per forward" };
        var repeats = new Option<int>("--repeats") { DefaultValueFactory = _ => 15, Description = "Timed forwards per patch size" };
        var json = new Option<bool>("--json") { Description = "Print JSON" };
        var command = new Command("bench", "Median forward time, FLOPs and GFLOP/s of a DiT config at each FlexiDiT patch size (random weights)")
        { depth, hidden, heads, patch, inputSize, inChannels, batch, repeats, json };
        command.SetAction(parse =>
        {
            var config = new DiTConfig
            {
                Depth = parse.GetValue(depth), HiddenSize = parse.GetValue(hidden), NumHeads = parse.GetValue(heads),
                PatchSize = parse.GetValue(patch), InputSize = parse.GetValue(inputSize), InChannels = parse.GetValue(inChannels),
            };
            var results = ForwardBenchmark.Run(config, parse.GetValue(batch), repeats: parse.GetValue(repeats));
            if (parse.GetValue(json))
            {
                Console.WriteLine(JsonSerializer.Serialize(new
                {
                    config = new { depth = config.Depth, hidden = config.HiddenSize, heads = config.Heads, patch = config.PatchSize, inputSize = config.InputSize, inChannels = config.InChannels },
                    threads = TorchSharp.torch.get_num_threads(),
                    results,
                }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            }
            else
            {
                Console.WriteLine($"DiT depth {config.Depth}, width {config.HiddenSize}, heads {config.Heads}, {config.InputSize}²×{config.InChannels}, batch {parse.GetValue(batch)}");
                foreach (var r in results)
                    Console.WriteLine($"patch {r.PatchSize}: {r.Tokens,4} tokens  median {r.MedianMs,8:F1} ms  min {r.MinMs,8:F1} ms  {r.Flops / 1e9,7:F2} GFLOP  {r.GflopsPerSecond,6:F1} GFLOP/s");
            }
            return 0;
        });
        return command;
    }
}
