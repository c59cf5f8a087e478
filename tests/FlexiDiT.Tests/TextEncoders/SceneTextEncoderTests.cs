using FlexiDiT.Checkpoints;
using FlexiDiT.Data.Scenes;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.TextEncoders;
using TorchSharp;

namespace FlexiDiT.Tests.TextEncoders;

/// <summary>The scenes model's text encoder, loaded from the encoder half of a tiny random text-to-image checkpoint.</summary>
public sealed class SceneTextEncoderTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-scene-encoder").FullName;
    private readonly string checkpoint;

    public SceneTextEncoderTests()
    {
        checkpoint = Path.Combine(dir, "model.safetensors");
        using var model = TinyModel(SceneTokenizer.FromGrammar(24).VocabularySize);
        TextToImageCheckpoint.Save(model, checkpoint);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    internal static TextToImageModel TinyModel(int vocabularySize)
    {
        var model = new TextToImageModel(TextToImageConfig.Scenes(vocabularySize, depth: 1, hidden: 32, heads: 2, captionWidth: 32, captionTokens: 24, encoderDepth: 1, encoderHeads: 2));
        model.Initialize(new torch.Generator(5));
        return model;
    }

    [Fact]
    public void It_encodes_training_captions_bit_identically_to_the_whole_model()
    {
        var data = new SceneDataset(6);
        string[] captions = [.. Enumerable.Range(0, 6).Select(i => data.Sample(i).Caption)];
        using var model = TextToImageCheckpoint.Load(checkpoint);
        using var encoder = SceneTextEncoder.Load(checkpoint);
        using var expected = model.Encode(captions, SceneTokenizer.FromGrammar(24));
        using var actual = encoder.Encode(captions);
        Assert.Equal(32, encoder.Channels);
        Assert.Equal(24, encoder.MaxLength);
        Assert.Equal([6L, 24, 32], actual.Features.shape);
        Assert.True(actual.Features.equal(expected.Features).all().item<bool>(), "features differ from TextToImageModel.Encode");
        Assert.True(actual.Mask.equal(expected.Mask).all().item<bool>());
        Assert.Null(actual.Negative);
    }

    [Fact]
    public void Held_out_synonyms_encode_as_their_training_synonyms_and_unknown_words_are_dropped_and_reported()
    {
        using var encoder = SceneTextEncoder.Load(checkpoint);
        using var held = encoder.Encode(["A huge scarlet doughnut in the upper left corner on a pale backdrop", "a red giraffe circle"]);
        using var training = encoder.Encode(["a large red ring in the top left on a light background", "a red circle"]);
        Assert.True(held.Features.equal(training.Features).all().item<bool>());
        using var other = encoder.Encode(["a large blue ring in the top left on a light background", "a red square"]);
        Assert.False(other.Features[0].equal(training.Features[0]).all().item<bool>());
        Assert.False(other.Features[1].equal(training.Features[1]).all().item<bool>());

        Assert.Equal(["giraffe"], encoder.IgnoredWords("a red giraffe circle"));
        Assert.Empty(encoder.IgnoredWords("a huge scarlet doughnut"));
    }

    [Fact]
    public void A_prompt_that_names_nothing_is_an_error_with_examples()
    {
        using var encoder = SceneTextEncoder.Load(checkpoint);
        var error = Assert.Throws<NoSceneConceptException>(() => encoder.Encode(["a giraffe eating leaves"]));
        Assert.Contains("not understood: giraffe, eating, leaves", error.Message);
        Assert.Contains("\"a red circle\"", error.Message);
        Assert.Throws<NoSceneConceptException>(() => encoder.IgnoredWords("the giraffe"));
        Assert.Throws<NoSceneConceptException>(() => encoder.Encode(["a red circle"], negativePrompt: "a giraffe"));
    }

    [Fact]
    public void A_checkpoint_that_does_not_fit_is_refused_with_what_is_wrong()
    {
        var missing = Assert.Throws<FileNotFoundException>(() => SceneTextEncoder.Load(Path.Combine(dir, "nothing.safetensors")));
        Assert.Contains("train-t2i", missing.Message);

        string pixart = Path.Combine(dir, "pixart.safetensors");
        using (var model = TinyModel(SceneTokenizer.FromGrammar(24).VocabularySize)) PixArtCheckpoint.Save(model.Denoiser, pixart);
        var notTextToImage = Assert.Throws<InvalidDataException>(() => SceneTextEncoder.Load(pixart));
        Assert.Contains("not a text-to-image checkpoint", notTextToImage.Message);

        string otherGrammar = Path.Combine(dir, "other-grammar.safetensors");
        using (var model = TinyModel(SceneTokenizer.FromGrammar(24).VocabularySize + 3)) TextToImageCheckpoint.Save(model, otherGrammar);
        var vocabulary = Assert.Throws<InvalidDataException>(() => SceneTextEncoder.Load(otherGrammar));
        Assert.Contains("another version of the grammar", vocabulary.Message);
    }
}
