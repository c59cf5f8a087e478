using System.Text.RegularExpressions;
using FlexiDiT.Data;
using FlexiDiT.Data.Scenes;
using FlexiDiT.Prompts.Captions;

namespace FlexiDiT.Tests.Prompts.Captions;

/// <summary>The scene captions and their reader: synonyms, held-out phrasings, round trips, unknown words.</summary>
public partial class SceneCaptionTests
{
    [Fact]
    public void Every_attribute_value_has_training_and_held_out_phrasings_and_both_splits_have_templates()
    {
        foreach (var attribute in Enum.GetValues<SceneAttribute>())
        {
            for (int value = 0; value < SceneAttributes.Cardinality(attribute); value++)
            {
                foreach (var split in Enum.GetValues<CaptionSplit>())
                    Assert.True(SceneGrammar.PhrasesFor(attribute, value, split).Count > 0, $"{attribute} {value} has no {split} phrasing");
            }
        }

        Assert.Contains(SceneGrammar.Templates, t => t.Split == CaptionSplit.HeldOut);
        Assert.Contains(SceneGrammar.Templates, t => t.Split == CaptionSplit.Training);
        Assert.Equal(SceneGrammar.Phrases.Count, SceneGrammar.Phrases.Select(p => p.Text).Distinct().Count());
    }

    [Fact]
    public void Training_captions_never_use_a_held_out_phrase_or_template()
    {
        var data = new SceneDataset(1);
        var training = Enumerable.Range(0, 5000).Select(i => Words(data.Sample(i).Caption)).ToArray();
        var heldOut = SceneGrammar.Phrases.Where(p => p.Split == CaptionSplit.HeldOut).Select(p => Words(p.Text))
            .Concat(SceneGrammar.Templates.Where(t => t.Split == CaptionSplit.HeldOut).Select(t => Words(t.FixedWords)))
            .Concat(SceneGrammar.GenericNouns.Where(n => n.Split == CaptionSplit.HeldOut).Select(n => Words(n.Text)))
            .ToArray();
        Assert.All(heldOut, phrase => Assert.NotEqual("  ", phrase));
        foreach (string caption in training)
        {
            foreach (string phrase in heldOut)
                Assert.False(caption.Contains(phrase, StringComparison.Ordinal), $"training caption \"{caption.Trim()}\" uses held-out \"{phrase.Trim()}\"");
        }

        // And the held-out captions do use them: every held-out template appears.
        var heldOutCaptions = Enumerable.Range(0, 2000).Select(i => Words(data.Sample(i, CaptionSplit.HeldOut).Caption)).ToArray();
        foreach (var template in SceneGrammar.Templates.Where(t => t.Split == CaptionSplit.HeldOut))
            Assert.Contains(heldOutCaptions, c => c.Contains(Words(template.FixedWords), StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(CaptionSplit.Training)]
    [InlineData(CaptionSplit.HeldOut)]
    public void Every_caption_reads_back_to_exactly_the_attributes_it_names(CaptionSplit split)
    {
        var data = new SceneDataset(2);
        var omitted = new HashSet<SceneAttribute>();
        for (int i = 0; i < 3000; i++)
        {
            var sample = data.Sample(i, split);
            var reading = SceneCaptionReader.Read(sample.Caption);
            Assert.True(sample.Request == reading.Request, $"\"{sample.Caption}\" was written for {sample.Request} but reads as {reading.Request}");
            Assert.True(reading.Ignored.Count == 0, $"\"{sample.Caption}\": {reading.IgnoredSummary}");
            Assert.True(sample.Request.IsMetBy(sample.Scene));
            omitted.UnionWith(Enum.GetValues<SceneAttribute>().Except(sample.Request.Named));
        }
        Assert.Equal(Enum.GetValues<SceneAttribute>().Length, omitted.Count);
    }

    [Fact]
    public void Synonyms_word_order_case_and_plurals_read_alike()
    {
        var expected = new SceneRequest(ShapeKind.Cross, 0, SceneSize.Large, ScenePosition.TopLeft, SceneBackground.Dark);
        Assert.Equal(expected, SceneCaptionReader.Read("A huge scarlet plus sign in the upper left corner, on a black background!").Request);
        Assert.Equal(expected, SceneCaptionReader.Read("on a dark background: big red cross, top left").Request);
        Assert.Equal(expected, SceneCaptionReader.Read("LARGE RED CROSSES IN THE TOP-LEFT CORNER ON A DARK BACKGROUND").Request);

        Assert.Equal(new SceneRequest(ShapeKind.Ring), SceneCaptionReader.Read("a hollow circle").Request);
        Assert.Equal(new SceneRequest(ShapeKind.Circle), SceneCaptionReader.Read("a circle").Request);
        Assert.Equal(new SceneRequest(ShapeKind.Square, Position: ScenePosition.Center), SceneCaptionReader.Read("square box, centred").Request);
        Assert.Equal(new SceneRequest(Position: ScenePosition.Top), SceneCaptionReader.Read("something at the top center").Request with { });
        Assert.Equal(new SceneRequest(ColorIndex: 7, Size: SceneSize.Small), SceneCaptionReader.Read("tiny snow white shape").Request);
    }

    [Fact]
    public void Unknown_words_and_second_values_are_reported_not_guessed()
    {
        var reading = SceneCaptionReader.Read("a red giraffe circle with a hat");
        Assert.Equal(new SceneRequest(ShapeKind.Circle, 0), reading.Request);
        Assert.Equal(["giraffe", "hat"], reading.Ignored);
        Assert.Equal("ignored: giraffe, hat", reading.IgnoredSummary);

        // A second colour is not averaged or swapped in: the first wins and the other is reported.
        var twoColours = SceneCaptionReader.Read("a red circle on a blue background");
        Assert.Equal(new SceneRequest(ShapeKind.Circle, 0), twoColours.Request);
        Assert.Equal(["blue"], twoColours.Ignored);

        Assert.Empty(SceneCaptionReader.Read("There is a small red circle in the middle of the picture.").Ignored);
    }

    [Theory]
    [InlineData("a giraffe eating leaves")]
    [InlineData("the picture")]
    [InlineData("   ")]
    public void A_prompt_that_names_nothing_is_an_error_that_shows_what_the_model_draws(string prompt)
    {
        var error = Assert.Throws<NoSceneConceptException>(() => SceneCaptionReader.Read(prompt));
        Assert.Contains("names nothing this model draws", error.Message);
        Assert.Contains("circle, square, triangle, cross, ring", error.Message);
        Assert.Contains("\"a red circle\"", error.Message);
        if (prompt.Contains("giraffe")) Assert.Contains("not understood: giraffe, eating, leaves", error.Message);
        Assert.All(NoSceneConceptException.Examples, e => Assert.Empty(SceneCaptionReader.Read(e).Ignored));
    }

    // Lower-case words separated by single spaces and padded with one, so Contains matches whole words only.
    private static string Words(string text) => " " + string.Join(' ', WordPattern().Matches(text.ToLowerInvariant()).Select(m => m.Value)) + " ";

    [GeneratedRegex("[a-z]+")]
    private static partial Regex WordPattern();
}
