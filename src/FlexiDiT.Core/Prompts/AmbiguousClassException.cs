namespace FlexiDiT.Prompts;

/// <summary>The prompt names several classes equally well (e.g. "a red circle and a blue square").</summary>
public sealed class AmbiguousClassException : ArgumentException
{
    /// <summary>Creates the exception; the message lists the candidates.</summary>
    public AmbiguousClassException(string prompt, IReadOnlyList<ClassMatch> candidates)
        : base($"The prompt \"{prompt}\" names more than one class equally well: "
            + string.Join(", ", candidates.Select(c => $"\"{c.Name}\" ({c.ClassIndex}, from \"{c.MatchedText}\")"))
            + ". Name just one of them, or use the class index.")
    {
        Prompt = prompt;
        Candidates = candidates;
    }

    /// <summary>The ambiguous prompt.</summary>
    public string Prompt { get; }

    /// <summary>The classes it matches, one entry per class.</summary>
    public IReadOnlyList<ClassMatch> Candidates { get; }
}
