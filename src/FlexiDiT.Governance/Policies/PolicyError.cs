namespace FlexiDiT.Governance.Policies;

/// <summary>One problem found while loading policy files, located by file and line.</summary>
/// <param name="File">The file (or directory) the problem is in, as the loader was given it.</param>
/// <param name="Line">The 1-based line, or <see langword="null"/> for a problem with no single line.</param>
/// <param name="Message">What is wrong, naming the entry and field.</param>
public sealed record PolicyError(string File, int? Line, string Message)
{
    /// <summary>Formats the error as <c>file:line: message</c>, the form editors and CI logs link to.</summary>
    /// <returns>The formatted error.</returns>
    public override string ToString() => Line is { } line ? $"{File}:{line}: {Message}" : $"{File}: {Message}";
}
