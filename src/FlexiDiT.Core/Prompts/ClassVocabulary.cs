namespace FlexiDiT.Prompts;

/// <summary>Class lists a <see cref="ClassPromptMatcher"/> can be built from.</summary>
public static class ClassVocabulary
{
    private const string ImageNetResource = "FlexiDiT.Prompts.imagenet-classes.txt";
    private static readonly Lazy<IReadOnlyList<ClassEntry>> ImageNetClasses = new(LoadImageNet);

    /// <summary>
    /// The 1000 ILSVRC-2012 classes in label order (0 "tench, Tinca tinca", 1 "goldfish", ..., 207 "golden
    /// retriever", ..., 999 "toilet tissue"), with their WordNet synonyms; loaded on first use.
    /// </summary>
    public static IReadOnlyList<ClassEntry> ImageNet => ImageNetClasses.Value;

    /// <summary>Classes numbered by position; each item is one class, commas separating its synonyms.</summary>
    public static IReadOnlyList<ClassEntry> FromNames(IEnumerable<string> names) =>
        names.Select((line, i) => ClassEntry.Parse(i, line)).ToArray();

    private static IReadOnlyList<ClassEntry> LoadImageNet()
    {
        using var stream = typeof(ClassVocabulary).Assembly.GetManifestResourceStream(ImageNetResource)
            ?? throw new InvalidOperationException($"The embedded resource {ImageNetResource} is missing from {typeof(ClassVocabulary).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        var lines = new List<string>(1000);
        while (reader.ReadLine() is { } line)
            if (line.Length > 0) lines.Add(line);
        if (lines.Count != 1000) throw new InvalidOperationException($"{ImageNetResource} has {lines.Count} classes, not 1000.");
        return FromNames(lines);
    }
}
