using System.CommandLine;
using FlexiDiT.Vae;

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
            Console.WriteLine($"{"group",-18} {"max abs err",12} {"rel err",10} {"tolerance",10}  result");
            foreach (var r in results)
                Console.WriteLine($"{r.Group,-18} {r.MaxAbsError,12:E2} {r.RelativeError,10:E2} {r.Tolerance,10:E0}  {(r.Passed ? "ok" : "FAIL")}");
            bool ok = results.Count > 0 && results.All(r => r.Passed);
            Console.WriteLine(ok ? $"All {results.Count} groups within tolerance." : "VAE check FAILED.");
            return ok ? 0 : 1;
        });
        return command;
    }
}
