using System.Text;

namespace FlexiDiT.Prompts.Captions;

/// <summary>
/// The scene text encoder's vocabulary: BERT's special tokens, then every word of <see cref="SceneGrammar"/> (training
/// and held-out, in normal form, sorted). The file is a WordPiece vocab.txt, one token per line, id = line number;
/// it is a function of the grammar alone, so the same grammar always writes the same bytes.
/// </summary>
public static class SceneVocabulary
{
    /// <summary>Padding (id 0).</summary>
    public const string Padding = "[PAD]";
    /// <summary>Any word not in the vocabulary (id 1).</summary>
    public const string Unknown = "[UNK]";
    /// <summary>Start of a caption (id 2).</summary>
    public const string Classification = "[CLS]";
    /// <summary>End of a caption (id 3).</summary>
    public const string Separator = "[SEP]";
    /// <summary>Masked word, for masked-language pretraining if the encoder wants it (id 4).</summary>
    public const string Mask = "[MASK]";

    /// <summary>All tokens in id order.</summary>
    public static IReadOnlyList<string> Tokens { get; } = [Padding, Unknown, Classification, Separator, Mask, .. SceneGrammar.Words];

    /// <summary>Writes the vocabulary to <paramref name="stream"/> (UTF-8, no BOM, "\n" line ends).</summary>
    public static void Write(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        using var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true) { NewLine = "\n" };
        foreach (string token in Tokens) writer.WriteLine(token);
    }

    /// <summary>Writes the vocabulary to a file, creating its folder.</summary>
    public static void Write(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string? folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        using var file = File.Create(path);
        Write(file);
    }
}
