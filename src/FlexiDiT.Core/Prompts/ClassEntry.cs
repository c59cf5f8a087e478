namespace FlexiDiT.Prompts;

/// <summary>A class a prompt can name: its label index, its canonical name and its other names.</summary>
/// <param name="Index">The class label the model was trained with.</param>
/// <param name="Name">The canonical name (ImageNet: the first of the synset's names).</param>
/// <param name="Synonyms">Other names of the same class; may be empty.</param>
public sealed record ClassEntry(int Index, string Name, IReadOnlyList<string> Synonyms)
{
    /// <summary>The canonical name, then the synonyms.</summary>
    public IEnumerable<string> AllNames => Synonyms.Prepend(Name);

    /// <summary>Parses one line of a class list: comma-separated names, the first canonical.</summary>
    public static ClassEntry Parse(int index, string line)
    {
        var names = line.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
        if (names.Length == 0) throw new ArgumentException($"Class {index} has no name.", nameof(line));
        return new ClassEntry(index, names[0], names[1..]);
    }
}
