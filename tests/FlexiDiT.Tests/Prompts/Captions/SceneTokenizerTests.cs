using FlexiDiT.Data.Scenes;
using FlexiDiT.Prompts.Captions;

namespace FlexiDiT.Tests.Prompts.Captions;

/// <summary>The scene tokenizer: a vocabulary file made from the grammar, stable ids, [UNK] for unknown words.</summary>
public sealed class SceneTokenizerTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-vocab").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void The_vocabulary_file_is_the_same_bytes_every_time_and_starts_with_the_special_tokens()
    {
        string first = Path.Combine(dir, "a", "vocab.txt"), second = Path.Combine(dir, "b.txt");
        SceneVocabulary.Write(first);
        SceneVocabulary.Write(second);
        Assert.Equal(File.ReadAllBytes(first), File.ReadAllBytes(second));
        var lines = File.ReadAllLines(first);
        Assert.Equal(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"], lines[..5]);
        Assert.Equal(lines.Length, lines.Distinct().Count());
        Assert.Contains("scarlet", lines);
        Assert.Equal(lines.Length, SceneTokenizer.Load(first).VocabularySize);
    }

    [Fact]
    public void Ids_are_stable()
    {
        var tokenizer = SceneTokenizer.FromGrammar(maxTokens: 12);
        var tokens = tokenizer.Encode("A big red circle, top left.");
        // [CLS] a big red circle top left [SEP] [PAD]...: changing these ids breaks every trained text encoder.
        Assert.Equal([2, 5, 17, 87, 29, 115, 60, 3, 0, 0, 0, 0], tokens.Ids);
        Assert.Equal([true, true, true, true, true, true, true, true, false, false, false, false], tokens.Mask);
        Assert.False(tokens.Truncated);
        Assert.Equal("[CLS] a big red circle top left [SEP] [PAD] [PAD] [PAD] [PAD]", tokenizer.Decode(tokens.Ids));
    }

    [Fact]
    public void Unknown_words_become_UNK_and_case_accents_and_plurals_do_not_matter()
    {
        var tokenizer = SceneTokenizer.FromGrammar();
        var giraffe = tokenizer.Encode("a red giraffe");
        Assert.Equal(tokenizer.UnknownId, giraffe.Ids[3]);
        Assert.Equal(tokenizer.Encode("a red circle").Ids, tokenizer.Encode("A RED Circles").Ids);
        Assert.Equal(tokenizer.Encode("a centred circle").Ids, tokenizer.Encode("a cèntred circle").Ids);
    }

    [Fact]
    public void Long_captions_are_cut_but_keep_their_end_token()
    {
        var tokens = SceneTokenizer.FromGrammar(maxTokens: 4).Encode("a big red circle in the top left");
        Assert.True(tokens.Truncated);
        Assert.Equal(3, tokens.Ids[^1]);
        Assert.All(tokens.Mask, Assert.True);
        Assert.Throws<ArgumentOutOfRangeException>(() => SceneTokenizer.FromGrammar(maxTokens: 2));
        Assert.Throws<FileNotFoundException>(() => SceneTokenizer.Load(Path.Combine(dir, "missing.txt")));
    }

    [Theory]
    [InlineData(CaptionSplit.Training)]
    [InlineData(CaptionSplit.HeldOut)]
    public void Every_caption_of_the_grammar_fits_with_no_unknown_word(CaptionSplit split)
    {
        var tokenizer = SceneTokenizer.FromGrammar();
        var batch = new SceneDataset(4).Batch(0, 1000, split);
        batch.Images.Dispose();
        var (ids, mask) = tokenizer.EncodeBatch(batch.Captions);
        using (ids)
        using (mask)
        {
            Assert.Equal(new long[] { 1000, SceneTokenizer.DefaultMaxTokens }, ids.shape);
            Assert.Equal(TorchSharp.torch.ScalarType.Bool, mask.dtype);
            Assert.Equal(0, ids.eq(tokenizer.UnknownId).sum().item<long>());
            // Every row ends in [SEP] then padding, never cut.
            Assert.Equal(1000, ids.eq(3).sum().item<long>());
            Assert.Equal(0, ids[.., ^1].ne(tokenizer.PaddingId).sum().item<long>());
        }
        foreach (string caption in batch.Captions) Assert.False(tokenizer.Encode(caption).Truncated, caption);
    }
}
