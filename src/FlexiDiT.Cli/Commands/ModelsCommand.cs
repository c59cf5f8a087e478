using System.CommandLine;
using FlexiDiT.Packs;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit models</c>: the model packs this program can see and what each needs.</summary>
internal static class ModelsCommand
{
    public static Command Create()
    {
        var command = new Command("models", "List the model packs this program can see, their plans and what each needs");
        command.SetAction(_ =>
        {
            var manifests = ModelPack.Discover();
            if (manifests.Count == 0) Console.WriteLine($"No model packs found in: {string.Join(", ", ModelPack.SearchFolders().Distinct())}");
            foreach (string manifest in manifests)
            {
                try
                {
                    var pack = ModelPack.Load(manifest);
                    var m = pack.Manifest;
                    Console.WriteLine($"{pack.Name}  ({manifest})");
                    if (m.Description.Length > 0) Console.WriteLine($"  {m.Description}");
                    Console.WriteLine($"  checkpoint: {pack.CheckpointPath} ({new FileInfo(pack.CheckpointPath).Length / 1e6:F1} MB)");
                    Console.WriteLine($"  decoder: {(m.Vae is null ? "none (pixel space)" : $"VAE {pack.Resolve(m.Vae.Weights)}, scale {m.Vae.Scale}")}");
                    Console.WriteLine(pack.IsTextToImage
                        ? $"  text-to-image: prompts through {m.TextEncoder!.Kind} at {(m.TextEncoder.Path is null ? pack.CheckpointPath : pack.Resolve(m.TextEncoder.Path))}"
                        : $"  classes: {pack.ClassNames.Count} (e.g. {string.Join(", ", pack.ClassNames.Take(3))})");
                    Console.WriteLine($"  plans: {string.Join(", ", m.Plans.Select(p => p.Name == m.Defaults.Plan ? p.Name + " (default)" : p.Name))}");
                }
                catch (Exception e) when (e is InvalidDataException or FileNotFoundException or ArgumentException)
                {
                    Console.WriteLine($"{manifest}: unusable: {e.Message}");
                }
            }
            return 0;
        });
        return command;
    }
}
