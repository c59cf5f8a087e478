using FlexiDiT.Checkpoints;
using FlexiDiT.Engine;
using FlexiDiT.Models;
using FlexiDiT.Packs;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Testing;
using FlexiDiT.TextEncoders;

namespace FlexiDiT.Tests.Packs;

/// <summary>A scenes pack (tiny random caption encoder + PixArt-α FlexiDiT in one checkpoint): loading, errors, the engine.</summary>
public sealed class ScenesPackTests : IDisposable
{
    private readonly TinyFlexiDiTPack fixture = TinyFlexiDiTPack.CreateScenes();

    public void Dispose() => fixture.Dispose();

    private string Manifest => Path.Combine(fixture.PackFolder, ModelPack.ManifestFileName);

    [Fact]
    public void The_pack_loads_both_halves_of_its_one_checkpoint()
    {
        var pack = ModelPack.Load(fixture.PackFolder);
        Assert.True(pack.IsTextToImage);
        Assert.True(pack.HasSceneEncoder);
        using var denoiser = (PixArt)pack.LoadDenoiser();
        Assert.Equal([2, 4], denoiser.Geometry.AllPatchSizes);
        Assert.True(denoiser.Config.PooledCaption);
        using var encoder = pack.LoadTextEncoder(denoiser.Config.ModelMaxLength);
        Assert.IsType<SceneTextEncoder>(encoder);

        // The same weights as the whole model: the denoiser's tensors and the encoder's features are bit-identical.
        using var whole = TextToImageCheckpoint.Load(pack.CheckpointPath);
        var expected = whole.Denoiser.state_dict();
        foreach (var (key, tensor) in denoiser.state_dict())
            Assert.True(tensor.equal(expected[key]).all().item<bool>(), $"pixart tensor {key} differs");
        using var mine = encoder.Encode(["a big red ring at the top"]);
        using var theirs = whole.Encode(["a big red ring at the top"], SceneTokenizer.FromGrammar(24));
        Assert.True(mine.Features.equal(theirs.Features).all().item<bool>());

        var wrongLength = Assert.Throws<InvalidDataException>(() => pack.LoadTextEncoder(120));
        Assert.Contains("model_max_length", wrongLength.Message);
    }

    [Fact]
    public void A_bad_encoder_kind_or_file_is_refused_naming_the_field()
    {
        string original = File.ReadAllText(Manifest);
        File.WriteAllText(Manifest, original.Replace("\"scenes\"", "\"clip\"", StringComparison.Ordinal));
        var kind = Assert.Throws<InvalidDataException>(() => ModelPack.Load(fixture.PackFolder));
        Assert.Contains("textEncoder.kind 'clip' is unknown; supported: t5, scenes", kind.Message);

        File.WriteAllText(Manifest, original.Replace("\"kind\": \"scenes\"", "\"kind\": \"scenes\", \"path\": \"elsewhere.safetensors\"", StringComparison.Ordinal));
        var missing = Assert.Throws<FileNotFoundException>(() => ModelPack.Load(fixture.PackFolder));
        Assert.Contains("'textEncoder.path'", missing.Message);

        File.WriteAllText(Manifest, original.Replace("\"kind\": \"scenes\"", "\"kind\": \"scenes\", \"tokenizer\": \"vocab.txt\"", StringComparison.Ordinal));
        Assert.Contains("remove 'textEncoder.tokenizer'", Assert.Throws<InvalidDataException>(() => ModelPack.Load(fixture.PackFolder)).Message);
        File.WriteAllText(Manifest, original.Replace("\"checkpoint\":", "\"config\": \"pack.json\", \"checkpoint\":", StringComparison.Ordinal));
        Assert.Contains("remove 'config'", Assert.Throws<InvalidDataException>(() => ModelPack.Load(fixture.PackFolder)).Message);

        // A PixArt-only checkpoint has no caption encoder to load.
        using (var model = new TextToImageModel(TinyFlexiDiTPack.ScenesConfig)) PixArtCheckpoint.Save(model.Denoiser, Path.Combine(fixture.PackFolder, "model.safetensors"));
        File.WriteAllText(Manifest, original);
        var notScenes = Assert.Throws<InvalidDataException>(() => ModelPack.Load(fixture.PackFolder));
        Assert.Contains("not a text-to-image checkpoint", notScenes.Message);
    }

    [Fact]
    public async Task The_engine_draws_prompts_deterministically_and_reports_the_words_it_ignored()
    {
        var pack = ModelPack.Load(fixture.PackFolder);
        using var engine = new GenerationEngine(pack);
        var weak = pack.Plan("weak");
        var results = await Task.WhenAll(
            engine.GenerateAsync(GenerationJob.ForPrompt("a large red ring in the top left on a dark background", 2, weak, seed: 4)),
            engine.GenerateAsync(GenerationJob.ForPrompt("a giant scarlet doughnut in the upper left corner on a dim backdrop", 2, weak, seed: 4)),
            engine.GenerateAsync(GenerationJob.ForPrompt("a giraffe next to a small blue square", 2, weak, seed: 4)));
        Assert.Equal([2L, 3, 32, 32], results[0].Samples.shape);
        SamePixels.AssertSame(results[0].Samples, results[1].Samples, "a held-out phrasing draws what its training twin draws");
        SamePixels.AssertDifferent(results[0].Samples, results[2].Samples, "another scene");
        Assert.Empty(results[0].IgnoredWords);
        Assert.Equal(["giraffe", "next"], results[2].IgnoredWords);
        Assert.Equal(5, results[0].WeakSteps);
        Assert.Equal(["giraffe"], engine.IgnoredWords("a red giraffe"));

        var nothing = await Assert.ThrowsAsync<NoSceneConceptException>(() => engine.GenerateAsync(GenerationJob.ForPrompt("a giraffe at dusk", 1, weak, seed: 1)));
        Assert.Contains("names nothing this model draws", nothing.Message);
    }
}
