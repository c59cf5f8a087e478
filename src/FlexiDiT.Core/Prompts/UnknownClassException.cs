namespace FlexiDiT.Prompts;

/// <summary>No class name matches the prompt, not even approximately.</summary>
public sealed class UnknownClassException : ArgumentException
{
    /// <summary>Creates the exception; the message lists <paramref name="closest"/> and, for small vocabularies, every class.</summary>
    public UnknownClassException(string prompt, IReadOnlyList<ClassMatch> closest, IReadOnlyList<string>? allNames = null)
        : base(Describe(prompt, closest, allNames))
    {
        Prompt = prompt;
        Closest = closest;
    }

    /// <summary>The prompt that matched nothing.</summary>
    public string Prompt { get; }

    /// <summary>The most similar classes, best first (their scores are below the match threshold).</summary>
    public IReadOnlyList<ClassMatch> Closest { get; }

    private static string Describe(string prompt, IReadOnlyList<ClassMatch> closest, IReadOnlyList<string>? allNames)
    {
        string message = prompt.Any(char.IsLetterOrDigit) ? $"No class matches the prompt \"{prompt}\"." : $"The prompt \"{prompt}\" is empty: it has no words to match.";
        if (closest.Count > 0) message += " Closest: " + string.Join(", ", closest.Select(c => $"\"{c.Name}\" ({c.ClassIndex})")) + ".";
        if (allNames is { Count: > 0 }) message += " Known classes: " + string.Join(", ", allNames) + ".";
        return message;
    }
}
