using System.CommandLine;
using FlexiDiT.Checkpoints;
using FlexiDiT.Cli.Reporting;
using FlexiDiT.Models;
using FlexiDiT.Verification;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit reference-check</c>: replays the official code's vectors and reports the errors.</summary>
internal static class ReferenceCheckCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<FileInfo>("--checkpoint") { Description = "DiT or PixArt-α checkpoint (.pt/.pth state dict or training checkpoint, .safetensors, or diffusers' PixArtTransformer2DModel .safetensors)", Required = true };
        var config = new Option<FileInfo?>("--config") { Description = "Model config JSON in the official constructor's names (may carry cfg_scale), or a diffusers config.json" };
        var vectors = new Option<FileInfo>("--vectors") { Description = "Reference vectors (.vectors.safetensors)", Required = true };
        var command = new Command("reference-check", "Check this engine against the official DiT or PixArt-α code's reference vectors") { checkpoint, config, vectors };
        command.SetAction(parse =>
        {
            string? configPath = parse.GetValue(config)?.FullName;
            string checkpointPath = parse.GetValue(checkpoint)!.FullName;
            string vectorsPath = parse.GetValue(vectors)!.FullName;
            double cfgScale = CfgScaleOf(configPath, checkpointPath);
            IReadOnlyList<GroupError> results;
            // The model kind comes from the config (caption_channels or a diffusers PixArt config) or the weights.
            if (configPath is not null ? PixArtConfig.Describes(configPath) : PixArtCheckpoint.IsPixArt(checkpointPath))
            {
                using var pixart = PixArtCheckpoint.Load(checkpointPath, configPath);
                results = ReferenceCheck.Run(pixart, vectorsPath, cfgScale);
            }
            else
            {
                using var model = DiTCheckpoint.Load(checkpointPath, configPath);
                results = ReferenceCheck.Run(model, vectorsPath, cfgScale);
            }
            return GroupErrorTable.Print(results, "Reference check");
        });
        return command;
    }

    // A diffusers config.json has no cfg_scale: look for the official one next to the weights (NAME.json for NAME.diffusers.safetensors).
    private static double CfgScaleOf(string? configPath, string checkpointPath)
    {
        if (configPath is not null && !PixArtConfig.IsDiffusersFile(configPath)) return ReferenceCheck.CfgScaleOf(configPath);
        string name = Path.GetFileName(checkpointPath);
        string official = Path.Combine(Path.GetDirectoryName(checkpointPath) ?? ".", name[..name.IndexOf('.', StringComparison.Ordinal)] + ".json");
        return File.Exists(official) && !PixArtConfig.IsDiffusersFile(official) ? ReferenceCheck.CfgScaleOf(official) : ReferenceCheck.CfgScaleOf(configPath);
    }
}
