using System.CommandLine;
using FlexiDiT.Checkpoints;
using FlexiDiT.Cli.Reporting;
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
            return GroupErrorTable.Print(results, "Reference check");
        });
        return command;
    }
}
