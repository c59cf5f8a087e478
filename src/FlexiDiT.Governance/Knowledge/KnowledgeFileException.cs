namespace FlexiDiT.Governance.Knowledge;

/// <summary>
/// A knowledge file written by the engine (plan table, latency model) is missing, malformed or inconsistent.
/// The message names the file and, where known, the line.
/// </summary>
public sealed class KnowledgeFileException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="KnowledgeFileException"/> class.</summary>
    /// <param name="source">The file path or source name.</param>
    /// <param name="problem">What is wrong, without the location.</param>
    /// <param name="line">The 1-based line, if known.</param>
    /// <param name="innerException">The underlying error, if any.</param>
    public KnowledgeFileException(string source, string problem, int? line = null, Exception? innerException = null)
        : base(line is { } l ? $"{source}:{l}: {problem}" : $"{source}: {problem}", innerException)
    {
        Source = source;
        Problem = problem;
        Line = line;
    }

    /// <summary>Gets the file path or source name.</summary>
    public new string Source { get; }

    /// <summary>Gets what is wrong, without the location.</summary>
    public string Problem { get; }

    /// <summary>Gets the 1-based line, if known.</summary>
    public int? Line { get; }
}
