using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>
/// T5's SentencePiece Unigram tokenizer (<c>spiece.model</c>) with Hugging Face <c>T5Tokenizer</c>'s padding as
/// PixArt-α calls it (<c>max_length</c>, <c>padding="max_length"</c>, <c>truncation=True</c>): a prompt's pieces
/// cut to <c>max_length − 1</c>, then <c>&lt;/s&gt;</c>, then <c>&lt;pad&gt;</c> up to <c>max_length</c>; the mask
/// is 1 on the pieces and <c>&lt;/s&gt;</c>. Text is normalised by the model's own rules (T5: nmt_nfkc).
/// Hugging Face's 100 sentinel tokens (<c>&lt;extra_id_N&gt;</c>) are not recognised in the text.
/// </summary>
public sealed class T5Tokenizer
{
    private readonly SentencePieceTokenizer tokenizer;

    private T5Tokenizer(SentencePieceTokenizer tokenizer, string source)
    {
        this.tokenizer = tokenizer;
        PadId = tokenizer.Vocabulary.TryGetValue("<pad>", out int pad) ? pad
            : throw new InvalidDataException($"SentencePiece model {source} has no '<pad>' piece; a T5 spiece.model has <pad> = 0, </s> = 1, <unk> = 2.");
        EndOfSentenceId = tokenizer.EndOfSentenceId;
        if (EndOfSentenceId < 0 || tokenizer.EndOfSentenceToken != "</s>")
            throw new InvalidDataException($"SentencePiece model {source} has end-of-sentence '{tokenizer.EndOfSentenceToken}' (id {EndOfSentenceId}); a T5 spiece.model has </s>.");
    }

    /// <summary>The id of <c>&lt;pad&gt;</c> (T5: 0).</summary>
    public int PadId { get; }

    /// <summary>The id of <c>&lt;/s&gt;</c> (T5: 1).</summary>
    public int EndOfSentenceId { get; }

    /// <summary>The id of <c>&lt;unk&gt;</c> (T5: 2), given to text the model has no piece for.</summary>
    public int UnknownId => tokenizer.UnknownId;

    /// <summary>Pieces in the model (T5: 32000; the encoder's vocab_size may be larger).</summary>
    public int PieceCount => tokenizer.Vocabulary.Count;

    /// <summary>Reads a SentencePiece model file (<c>spiece.model</c>).</summary>
    /// <exception cref="InvalidDataException">The file is not a SentencePiece model or lacks T5's special pieces.</exception>
    public static T5Tokenizer Load(string spiecePath)
    {
        if (!File.Exists(spiecePath)) throw new FileNotFoundException($"SentencePiece model not found: {spiecePath}", spiecePath);
        using var stream = File.OpenRead(spiecePath);
        return Create(stream, spiecePath);
    }

    /// <summary>Reads a SentencePiece model from <paramref name="stream"/>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">The stream is not a SentencePiece model or lacks T5's special pieces.</exception>
    public static T5Tokenizer Create(Stream stream, string source = "spiece.model")
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        SentencePieceTokenizer model;
        try
        {
            using var patched = new MemoryStream(SentencePieceModelPatch.WithBosId(buffer.ToArray(), source));
            model = SentencePieceTokenizer.Create(patched, addBeginningOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException and not InvalidDataException)
        {
            throw new InvalidDataException($"{source} is not a SentencePiece model (spiece.model): {e.Message}", e);
        }
        return new T5Tokenizer(model, source);
    }

    /// <summary>
    /// The ids of <paramref name="text"/>'s pieces, without <c>&lt;/s&gt;</c> and uncut. A run of characters the
    /// model has no piece for is one <c>&lt;unk&gt;</c>, as sentencepiece (and so Hugging Face) gives it;
    /// Microsoft.ML.Tokenizers gives one per character.
    /// </summary>
    public IReadOnlyList<int> Pieces(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false);
        var merged = new List<int>(ids.Count);
        foreach (int id in ids)
            if (id != UnknownId || merged.Count == 0 || merged[^1] != UnknownId) merged.Add(id);
        return merged;
    }

    /// <summary>
    /// Ids [B, <paramref name="maxLength"/>] and mask [B, <paramref name="maxLength"/>] (int64) of <paramref name="texts"/>:
    /// pieces cut to <c>maxLength − 1</c>, <c>&lt;/s&gt;</c>, padding; mask 1 on all but the padding.
    /// </summary>
    public T5Tokens Encode(IReadOnlyList<string> texts, int maxLength = T5EncoderOptions.PixArtMaxLength)
    {
        ArgumentNullException.ThrowIfNull(texts);
        if (maxLength < 1) throw new ArgumentOutOfRangeException(nameof(maxLength), maxLength, "maxLength must be at least 1 (room for </s>).");
        var ids = new long[texts.Count * maxLength];
        var mask = new long[texts.Count * maxLength];
        Array.Fill(ids, PadId);
        for (int b = 0; b < texts.Count; b++)
        {
            var pieces = Pieces(texts[b] ?? throw new ArgumentException($"Prompt {b} is null.", nameof(texts)));
            int kept = Math.Min(pieces.Count, maxLength - 1), row = b * maxLength;
            for (int i = 0; i < kept; i++) ids[row + i] = pieces[i];
            ids[row + kept] = EndOfSentenceId;
            Array.Fill(mask, 1L, row, kept + 1);
        }
        return new T5Tokens(tensor(ids, [texts.Count, maxLength]), tensor(mask, [texts.Count, maxLength]));
    }
}
