using System.CommandLine;
using FlexiDiT.Checkpoints;
using FlexiDiT.Verification;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit reference-check</c>: replays the official code's vectors and reports the errors.</summary>
internal static class ReferenceCheckCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "DiT checkpoint (.pt state dict or train.py checkpoint, or .safetensors)", Required = true };
        var config = new Option<FileInfo?>("--config") { Description = "Model config JSON in the official constructor's names (may carry cfg_scale)" };
        var vectors = new Option<FileInfo>("--vectors") { Description = "Reference vectors (.vectors.safetensors)", Required = true };
        var command = new Command("reference-check", "Check this engine against the official DiT code's reference vectors") { checkpoint, config, vectors };
        command.SetAction(parse =>
        {
            string? configPath = parse.GetValue(config)?.FullName;
            using var model = DiTCheckpoint.Load(parse.GetValue(checkpoint)!.FullName, configPath);
            var results = ReferenceCheck.Run(model, parse.GetValue(vectors)!.FullName, ReferenceCheck.CfgScaleOf(configPath));
            Console.WriteLine($"{"group",-18} {"max abs err",12} {"rel err",10} {"tolerance",10}  result");
            foreach (var r in results)
                Console.WriteLine($"{r.Group,-18} {r.MaxAbsError,12:E2} {r.RelativeError,10:E2} {r.Tolerance,10:E0}  {(r.Passed ? "ok" : "FAIL")}");
            bool ok = results.Count > 0 && results.All(r => r.Passed);
            Console.WriteLine(ok ? $"All {results.Count} groups within tolerance." : "Reference check FAILED.");
            return ok ? 0 : 1;
        });
        return command;
    }
}
