using Microsoft.ML.Tokenizers;
using static TorchSharp.torch;

namespace FlexiDiT.Prompts.Captions;

/// <summary>
/// Captions → fixed-length token ids and attention mask for the scene model's text encoder. The tokenization is
/// Microsoft.ML.Tokenizers' <see cref="BertTokenizer"/> (lower-casing, punctuation split, WordPiece) over a
/// <see cref="SceneVocabulary"/> file. Text is first put in the caption reader's normal form (accents folded,
/// plurals made singular), so every word the reader understands has its own id; any other word becomes [UNK]
/// (the reader reports it as ignored).
/// </summary>
public sealed class SceneTokenizer
{
    /// <summary>The default length: the longest caption the grammar writes is 24 tokens with [CLS] and [SEP].</summary>
    public const int DefaultMaxTokens = 32;
    private readonly BertTokenizer bert;

    private SceneTokenizer(BertTokenizer bert, int maxTokens, int vocabularySize)
    {
        this.bert = bert;
        MaxTokens = maxTokens;
        VocabularySize = vocabularySize;
    }

    /// <summary>Ids per caption (padded or truncated to this).</summary>
    public int MaxTokens { get; }

    /// <summary>The number of tokens in the vocabulary.</summary>
    public int VocabularySize { get; }

    /// <summary>Id of [PAD].</summary>
    public int PaddingId => bert.PaddingTokenId;

    /// <summary>Id of [UNK].</summary>
    public int UnknownId => bert.UnknownTokenId;

    /// <summary>Loads a vocabulary written by <see cref="SceneVocabulary.Write(string)"/>.</summary>
    public static SceneTokenizer Load(string vocabularyPath, int maxTokens = DefaultMaxTokens)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(vocabularyPath);
        if (!File.Exists(vocabularyPath)) throw new FileNotFoundException($"No vocabulary file at {vocabularyPath}; write one with SceneVocabulary.Write or 'flexidit scenes --vocab'.", vocabularyPath);
        using var file = File.OpenRead(vocabularyPath);
        return Load(file, maxTokens);
    }

    /// <summary>Loads a vocabulary from a stream.</summary>
    public static SceneTokenizer Load(Stream vocabulary, int maxTokens = DefaultMaxTokens)
    {
        ArgumentNullException.ThrowIfNull(vocabulary);
        if (maxTokens < 3) throw new ArgumentOutOfRangeException(nameof(maxTokens), maxTokens, "A caption needs at least 3 tokens: [CLS], a word, [SEP].");
        // Read once: the line count is the vocabulary size the encoder's embedding table needs.
        using var copy = new MemoryStream();
        vocabulary.CopyTo(copy);
        copy.Position = 0;
        int size = new StreamReader(copy, leaveOpen: true).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries).Length;
        copy.Position = 0;
        var bert = BertTokenizer.Create(copy, new BertOptions
        {
            LowerCaseBeforeTokenization = true,
            UnknownToken = SceneVocabulary.Unknown,
            PaddingToken = SceneVocabulary.Padding,
            ClassificationToken = SceneVocabulary.Classification,
            SeparatorToken = SceneVocabulary.Separator,
            MaskingToken = SceneVocabulary.Mask,
        });
        return new SceneTokenizer(bert, maxTokens, size);
    }

    /// <summary>The tokenizer of the current grammar, without a file.</summary>
    public static SceneTokenizer FromGrammar(int maxTokens = DefaultMaxTokens)
    {
        using var stream = new MemoryStream();
        SceneVocabulary.Write(stream);
        stream.Position = 0;
        return Load(stream, maxTokens);
    }

    /// <summary>Encodes one caption.</summary>
    public CaptionTokens Encode(string caption)
    {
        ArgumentNullException.ThrowIfNull(caption);
        string normal = string.Join(' ', PromptText.Tokenize(caption).Select(w => w.Normalized));
        var ids = bert.EncodeToIds(normal, addSpecialTokens: true);
        var padded = new long[MaxTokens];
        var mask = new bool[MaxTokens];
        bool truncated = ids.Count > MaxTokens;
        int length = Math.Min(ids.Count, MaxTokens);
        for (int i = 0; i < length; i++)
        {
            padded[i] = ids[i];
            mask[i] = true;
        }
        if (truncated) padded[MaxTokens - 1] = bert.SeparatorTokenId;
        for (int i = length; i < MaxTokens; i++) padded[i] = bert.PaddingTokenId;
        return new CaptionTokens(padded, mask, truncated);
    }

    /// <summary>Encodes captions to ids (N, <see cref="MaxTokens"/>) int64 and mask (N, <see cref="MaxTokens"/>) bool.</summary>
    public (Tensor Ids, Tensor Mask) EncodeBatch(IReadOnlyList<string> captions)
    {
        ArgumentNullException.ThrowIfNull(captions);
        var ids = new long[captions.Count * MaxTokens];
        var mask = new bool[captions.Count * MaxTokens];
        for (int i = 0; i < captions.Count; i++)
        {
            var tokens = Encode(captions[i]);
            tokens.Ids.CopyTo(ids, i * MaxTokens);
            tokens.Mask.CopyTo(mask, i * MaxTokens);
        }
        return (tensor(ids, [captions.Count, MaxTokens]), tensor(mask, [captions.Count, MaxTokens]));
    }

    /// <summary>The tokens of ids, for debugging ("[CLS] a red circle [SEP]").</summary>
    public string Decode(IEnumerable<long> ids) => bert.Decode(ids.Select(id => checked((int)id)), skipSpecialTokens: false);
}
