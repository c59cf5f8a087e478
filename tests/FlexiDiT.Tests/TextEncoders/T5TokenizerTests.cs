using FlexiDiT.TextEncoders;
using FlexiDiT.Verification;

namespace FlexiDiT.Tests.TextEncoders;

/// <summary>Token ids against Python's sentencepiece, with Hugging Face T5Tokenizer's cut, &lt;/s&gt; and padding.</summary>
public sealed class T5TokenizerTests
{
    private static void AssertIdsMatch(string spiece, string tokensFile)
    {
        var tokenizer = T5Tokenizer.Load(spiece);
        var (texts, expected, maxLength) = T5ReferenceCheck.ReadTokensFile(tokensFile);
        using var tokens = tokenizer.Encode(texts, maxLength);
        var ids = tokens.InputIds.data<long>().ToArray();
        var mask = tokens.AttentionMask.data<long>().ToArray();
        for (int b = 0; b < texts.Count; b++)
        {
            var padded = expected[b].Concat(Enumerable.Repeat(0L, maxLength - expected[b].Length)).ToArray();
            Assert.True(padded.SequenceEqual(ids[(b * maxLength)..((b + 1) * maxLength)]),
                $"text {b} {texts[b]!.Replace("\n", "\\n")}: expected [{string.Join(", ", padded)}], got [{string.Join(", ", ids[(b * maxLength)..((b + 1) * maxLength)])}]");
            Assert.Equal(Enumerable.Range(0, maxLength).Select(i => i < expected[b].Length ? 1L : 0L), mask[(b * maxLength)..((b + 1) * maxLength)]);
        }
    }

    [Fact]
    public void Ids_match_sentencepiece_for_every_reference_text() => AssertIdsMatch(T5Files.Spiece, T5Files.Tokens);

    [Fact]
    public void Ids_match_sentencepiece_on_a_second_model_with_unicode_whitespace_unknowns_and_truncation() =>
        AssertIdsMatch(T5Files.SecondSpiece, T5Files.SecondTokens);

    [Fact]
    public void Long_prompts_keep_max_length_minus_one_pieces_then_end_of_sentence()
    {
        var tokenizer = T5Tokenizer.Load(T5Files.Spiece);
        const string text = "a small white cross on a dark background at the bottom right corner";
        var pieces = tokenizer.Pieces(text);
        Assert.True(pieces.Count > 20);
        using var tokens = tokenizer.Encode([text, ""], 8);
        var ids = tokens.InputIds.data<long>().ToArray();
        Assert.Equal(pieces.Take(7).Select(i => (long)i).Append(1L), ids[..8]);
        Assert.Equal(new long[] { 1, 0, 0, 0, 0, 0, 0, 0 }, ids[8..]);
        Assert.Equal([8, 1], tokens.Lengths);
        Assert.Equal((0, 1, 2), (tokenizer.PadId, tokenizer.EndOfSentenceId, tokenizer.UnknownId));
    }

    [Fact]
    public void Pixart_length_is_120_tokens()
    {
        var tokenizer = T5Tokenizer.Load(T5Files.Spiece);
        using var tokens = tokenizer.Encode(["blue square"]);
        Assert.Equal(new long[] { 1, 120 }, tokens.InputIds.shape);
        Assert.Equal([3], tokens.Lengths);
    }

    [Fact]
    public void A_file_that_is_not_a_sentencepiece_model_is_refused()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "{ \"not\": \"a model\" }");
            var e = Assert.Throws<InvalidDataException>(() => T5Tokenizer.Load(path));
            Assert.Contains("is not a SentencePiece model", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }
}
