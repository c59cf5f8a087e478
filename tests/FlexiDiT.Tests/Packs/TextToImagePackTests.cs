using FlexiDiT.Engine;
using FlexiDiT.Packs;
using FlexiDiT.Tests.Cli;
using FlexiDiT.Testing;
using FlexiDiT.TextEncoders;

namespace FlexiDiT.Tests.Packs;

/// <summary>A text-to-image pack (tiny random PixArt-α FlexiDiT + tiny T5): loading, the engine's caption jobs, and <c>flexidit generate</c>.</summary>
public sealed class TextToImagePackTests : IDisposable
{
    private readonly TinyFlexiDiTPack fixture = TinyFlexiDiTPack.Create(PackKind.TextToImage);

    public void Dispose() => fixture.Dispose();

    [Fact]
    public void The_pack_loads_its_pixart_and_its_t5_text_encoder()
    {
        var pack = ModelPack.Load(fixture.PackFolder);
        Assert.True(pack.IsTextToImage);
        Assert.Empty(pack.ClassNames);
        using var encoder = pack.LoadTextEncoder(TinyFlexiDiTPack.TextToImageConfig.ModelMaxLength);
        Assert.IsType<T5TextEncoder>(encoder);
        Assert.Equal(32, encoder.Channels);
        Assert.Empty(encoder.IgnoredWords("a red circle ☃"));
        using var condition = encoder.Encode(["a red circle", "two blue squares"], negativePrompt: "");
        Assert.Equal([2L, 8, 32], condition.Features.shape);
        Assert.Equal([2L, 8, 32], condition.Negative!.Features.shape);
        using var denoiser = (IDisposable)pack.LoadDenoiser();
        Assert.Equal([2, 4], ((FlexiDiT.Models.IDenoiser)denoiser).Geometry.AllPatchSizes);
    }

    [Fact]
    public void A_text_to_image_manifest_must_name_its_text_encoder_and_no_classes()
    {
        string manifest = Path.Combine(fixture.PackFolder, "pack.json");
        string original = File.ReadAllText(manifest);
        File.WriteAllText(manifest, original.Replace("\"textEncoder\"", "\"notTheEncoder\"", StringComparison.Ordinal));
        Assert.Throws<InvalidDataException>(() => ModelPack.Load(fixture.PackFolder));   // unknown member
        File.WriteAllText(manifest, original.Replace("\"path\": \"t5\"", "\"path\": \"missing\"", StringComparison.Ordinal));
        var missing = Assert.Throws<DirectoryNotFoundException>(() => ModelPack.Load(fixture.PackFolder));
        Assert.Contains("textEncoder.path", missing.Message);
    }

    [Fact]
    public void The_tokenizer_may_live_outside_the_encoder_folder_as_in_diffusers_repositories()
    {
        string t5 = Path.Combine(fixture.PackFolder, "t5");
        string tokenizer = Directory.CreateDirectory(Path.Combine(fixture.PackFolder, "tokenizer")).FullName;
        File.Move(Path.Combine(t5, "spiece.model"), Path.Combine(tokenizer, "spiece.model"));
        Assert.Throws<FileNotFoundException>(() => ModelPack.Load(fixture.PackFolder).LoadTextEncoder(8).Dispose());

        string manifest = Path.Combine(fixture.PackFolder, "pack.json");
        File.WriteAllText(manifest, File.ReadAllText(manifest).Replace("\"path\": \"t5\"", "\"path\": \"t5\", \"tokenizer\": \"tokenizer/spiece.model\"", StringComparison.Ordinal));
        using var encoder = ModelPack.Load(fixture.PackFolder).LoadTextEncoder(8);
        using var condition = encoder.Encode(["a red circle"]);
        Assert.Equal([1L, 8, 32], condition.Features.shape);
    }

    [Fact]
    public async Task The_engine_batches_caption_jobs_and_is_deterministic_per_seed()
    {
        var pack = ModelPack.Load(fixture.PackFolder);
        using var engine = new GenerationEngine(pack);
        var weak = pack.Plan("weak");
        var jobs = new[]
        {
            GenerationJob.ForPrompt("a red circle", 2, weak, seed: 5),
            GenerationJob.ForPrompt("a red circle", 2, weak, seed: 5),
            GenerationJob.ForPrompt("a blue square on green", 2, weak, seed: 5),
        };
        var results = await Task.WhenAll(jobs.Select(j => engine.GenerateAsync(j)));
        SamePixels.AssertSame(results[0].Samples, results[1].Samples, "the same prompt and seed, batched together");
        SamePixels.AssertDifferent(results[0].Samples, results[2].Samples, "another prompt");
        Assert.Equal([2L, 3, 32, 32], results[0].Samples.shape);
        Assert.Equal(2 * fixture.FlopsPerImage(weak), results[0].FlopsSpent);
        Assert.Equal(2 * fixture.FlopsPerImage(pack.Plan("full")), results[0].FullComputeFlops);
        Assert.Equal(5, results[0].WeakSteps);
        Assert.True(engine.LargestBatch >= 4, $"the three jobs' forwards batch together (largest batch {engine.LargestBatch})");

        var classJob = await Assert.ThrowsAsync<ArgumentException>(() => engine.GenerateAsync(new GenerationJob([1, 2], weak, 5)));
        Assert.Contains("text-to-image: give a prompt", classJob.Message);
    }

    [Fact]
    public void Generate_passes_the_prompt_text_to_a_text_to_image_pack()
    {
        string dir = Path.Combine(fixture.Root, "cli");
        Directory.CreateDirectory(dir);
        var first = FlexiditProcess.Run(dir, "generate", "a lighthouse at dusk", "--model", fixture.PackFolder, "--out", "a.png", "--seed", "3", "--mode", "weak");
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        Assert.Contains("\"a lighthouse at dusk\" · plan weak", first.Stdout);
        Assert.Matches(@"FLOPs spent, [\d.]+ \w?FLOPs saved: [1-9]\d* ?% by FlexiDiT \(same steps and guidance\) = [1-9]\d* ?% saved", first.Stdout);
        var again = FlexiditProcess.Run(dir, "generate", "a lighthouse at dusk", "--model", fixture.PackFolder, "--out", "b.png", "--seed", "3", "--mode", "weak");
        Assert.True(again.ExitCode == 0, again.Stderr + again.Stdout);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "a.native.png")), File.ReadAllBytes(Path.Combine(dir, "b.native.png")));
    }
}
