using FlexiDiT.Checkpoints;
using FlexiDiT.Engine;
using FlexiDiT.Imaging;
using FlexiDiT.Models;
using FlexiDiT.Packs;
using TorchSharp;

namespace FlexiDiT.Tests.Packs;

/// <summary>
/// A pack shaped like the published DiT-XL/2-256 (width 1152, 16 heads, 4-channel 32×32 latents, 1000
/// ImageNet classes, SD-VAE decoder) with random weights and one block, end to end to a PNG.
/// </summary>
public sealed class PublishedDiTPackTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-xl").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private void WritePack(string checkpointFile, string? vaeWeights = "vae_tiny_a.diffusers.safetensors")
    {
        string vae = vaeWeights is null ? "null" : $$"""{ "weights": "{{TestPaths.Reference(vaeWeights).Replace("\\", "/")}}", "config": "{{TestPaths.Reference("vae_tiny_a.json").Replace("\\", "/")}}", "scale": 0.18215 }""";
        File.WriteAllText(Path.Combine(dir, "pack.json"), $$"""
            { "name": "dit-xl-2-256-shaped", "checkpoint": "{{checkpointFile}}", "vae": {{vae}}, "classes": "imagenet",
              "defaults": { "plan": "full" },
              "plans": [ { "name": "full", "respacing": "2", "guidanceScale": 4.0, "guideFirstThreeChannelsOnly": true } ] }
            """);
    }

    [Fact]
    public async Task An_xl_shaped_pack_samples_latents_decodes_them_and_writes_a_png()
    {
        var config = DiTConfig.Official("DiT-XL/2", inputSize: 32) with { Depth = 1 };
        using (var model = new DiT(config))
        {
            OfficialInit.Apply(model, new torch.Generator(3));
            DiTCheckpoint.Save(model, Path.Combine(dir, "dit.safetensors"));
        }
        WritePack("dit.safetensors");
        var pack = ModelPack.Load(dir);
        Assert.Equal(Path.GetFullPath(Path.Combine(dir, "dit.safetensors")), pack.CheckpointPath);
        var match = pack.Matcher.Match("a golden retriever on the beach");
        Assert.Equal(207, match.ClassIndex);

        using var engine = new GenerationEngine(pack);
        Assert.Equal((1152, 16, 1000, 4), (engine.Config.HiddenSize, engine.Config.Heads, engine.Config.NumClasses, engine.Config.InChannels));
        var result = await engine.GenerateAsync(new GenerationJob([match.ClassIndex], pack.DefaultPlan, 1));
        // 32×32 latents decoded ×8 by the VAE: a 256×256 RGB image.
        Assert.Equal(new long[] { 1, 3, 256, 256 }, result.Samples.shape);
        var image = ImageExport.ToImages(result.Samples)[0];
        byte[] png = ImageExport.Encode(image);
        Assert.Equal(0x89, png[0]);
        Assert.True(result.FlopsSpent > 0);
    }

    [Fact]
    public void A_manifest_naming_a_missing_file_is_a_clear_error()
    {
        WritePack("DiT-XL-2-256x256.pt");
        var e = Assert.Throws<FileNotFoundException>(() => ModelPack.Load(dir));
        Assert.Contains("'checkpoint'", e.Message);
        Assert.Contains("DiT-XL-2-256x256.pt", e.Message);
    }

    [Fact]
    public void A_manifest_with_an_unknown_field_is_a_clear_error()
    {
        File.WriteAllText(Path.Combine(dir, "pack.json"), """{ "name": "x", "checkpoint": "a.pt", "classes": "imagenet", "vea": null }""");
        var e = Assert.Throws<InvalidDataException>(() => ModelPack.Load(dir));
        Assert.Contains("vea", e.Message);
    }
}
