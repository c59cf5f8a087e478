using FlexiDiT.Data.Scenes;
using FlexiDiT.Prompts.Captions;

namespace FlexiDiT.Tests.Prompts.Captions;

/// <summary>Prompts rewritten into the words the scene text encoder was trained on.</summary>
public class TrainingPhrasingTests
{
    private static readonly SceneTokenizer Tokenizer = SceneTokenizer.FromGrammar();

    [Fact]
    public void Held_out_phrases_become_the_first_training_phrase_of_their_value_in_the_prompts_word_order()
    {
        Assert.Equal("a large red ring in the top left on a light background",
            TrainingPhrasing.Rewrite("A huge scarlet doughnut in the upper left corner, on a pale backdrop!"));
        Assert.Equal("on a dark background a small triangle in the center",
            TrainingPhrasing.Rewrite("over a dark backdrop: a tiny three sided shape, centred"));
        Assert.Equal("a big disc at the top", TrainingPhrasing.Rewrite("a big disc at the top"));
        Assert.Equal("a big red shape", TrainingPhrasing.Rewrite("a big red thing"));
    }

    [Fact]
    public void A_held_out_synonym_and_its_training_synonym_give_identical_ids()
    {
        Assert.Equal(Ids("a large red ring in the top left"), Ids("a giant scarlet doughnut in the upper left corner"));
        Assert.Equal(Ids("a cross"), Ids("a plus sign"));
        Assert.NotEqual(Ids("a cross"), Ids("a ring"));
    }

    [Fact]
    public void Unknown_words_second_values_and_untrained_function_words_are_dropped()
    {
        Assert.Equal("a red circle", TrainingPhrasing.Rewrite("please draw a red giraffe circle"));
        Assert.Equal("a red circle", TrainingPhrasing.Rewrite("a red blue circle"));
        Assert.Throws<NoSceneConceptException>(() => TrainingPhrasing.Rewrite("a giraffe"));
    }

    [Fact]
    public void Training_captions_keep_their_tokens()
    {
        var data = new SceneDataset(3);
        for (int i = 0; i < 500; i++)
        {
            string caption = data.Sample(i).Caption;
            Assert.True(Ids(caption).SequenceEqual(Tokenizer.Encode(caption).Ids), $"\"{caption}\" became \"{TrainingPhrasing.Rewrite(caption)}\"");
        }
    }

    [Fact]
    public void Held_out_captions_become_training_words_that_read_back_to_the_same_request()
    {
        var data = new SceneDataset(4);
        for (int i = 0; i < 1000; i++)
        {
            var sample = data.Sample(i, CaptionSplit.HeldOut);
            string rewritten = TrainingPhrasing.Rewrite(sample.Caption);
            Assert.All(rewritten.Split(' '), word => Assert.Contains(word, SceneGrammar.TrainingWords));
            Assert.True(sample.Request == SceneCaptionReader.Read(rewritten).Request, $"\"{sample.Caption}\" became \"{rewritten}\", which reads as {SceneCaptionReader.Read(rewritten).Request}, not {sample.Request}");
        }
    }

    [Fact]
    public void The_reader_reports_where_each_phrase_and_unknown_word_is()
    {
        const string prompt = "A giraffe, huge and scarlet, in the upper left corner";
        var spans = SceneCaptionReader.Read(prompt).Spans;
        Assert.Equal(["giraffe", "huge", "scarlet", "upper left corner"], spans.Select(s => s.Text));
        Assert.Equal(["giraffe", "huge", "scarlet", "upper left corner"], spans.Select(s => prompt[s.Start..s.End].ToLowerInvariant()));
        Assert.True(spans[0].IsIgnored);
        Assert.Null(spans[0].Phrase);
        Assert.Equal((SceneAttribute.Size, (int)SceneSize.Large, CaptionSplit.HeldOut), (spans[1].Phrase!.Attribute, spans[1].Phrase!.Value, spans[1].Phrase!.Split));
        Assert.Equal((SceneAttribute.Position, (int)ScenePosition.TopLeft), (spans[3].Phrase!.Attribute, spans[3].Phrase!.Value));
    }

    private static long[] Ids(string prompt) => Tokenizer.Encode(TrainingPhrasing.Rewrite(prompt)).Ids;
}
