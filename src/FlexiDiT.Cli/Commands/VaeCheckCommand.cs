using System.CommandLine;
using FlexiDiT.Cli.Reporting;
using FlexiDiT.Vae;
using FlexiDiT.Verification;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit vae-check</c>: replays the original VAE code's decoder vectors and reports the errors.</summary>
internal static class VaeCheckCommand
{
    public static Command Create()
    {
        var weights = new Option<FileInfo>("--weights") { Description = "VAE weights in ldm or diffusers naming (.safetensors, .bin/.pt state dict, or .ckpt)", Required = true };
        var config = new Option<FileInfo?>("--config") { Description = "diffusers config.json, ldm ddconfig JSON, or a file with both; when left out, the config the weights imply (GroupNorm 32)" };
        var vectors = new Option<FileInfo>("--vectors") { Description = "Reference vectors (.vectors.safetensors with <group>.z and <group>.out)", Required = true };
        var tolerance = new Option<double>("--tolerance") { Description = "Largest allowed max abs error relative to max |reference|", DefaultValueFactory = _ => VaeReferenceCheck.Tolerance };
        var command = new Command("vae-check", "Check the VAE decoder against the original (ldm) code's reference vectors") { weights, config, vectors, tolerance };
        command.SetAction(parse =>
        {
            string weightsPath = parse.GetValue(weights)!.FullName;
            using var decoder = VaeCheckpoint.Load(weightsPath, parse.GetValue(config)?.FullName);
            var results = VaeReferenceCheck.Run(decoder, parse.GetValue(vectors)!.FullName, parse.GetValue(tolerance));
            Console.WriteLine($"weights: {weightsPath}");
            Console.WriteLine($"decoder: {decoder.Config}");
            return GroupErrorTable.Print(results, "VAE check");
        });
        return command;
    }
}
