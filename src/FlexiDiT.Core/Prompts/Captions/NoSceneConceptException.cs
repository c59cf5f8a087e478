namespace FlexiDiT.Prompts.Captions;

/// <summary>A prompt names no shape, colour, size, position or background of the Shapes scene world.</summary>
public sealed class NoSceneConceptException : ArgumentException
{
    /// <summary>Creates the exception for <paramref name="prompt"/>, whose words were all <paramref name="ignored"/>.</summary>
    public NoSceneConceptException(string prompt, IReadOnlyList<string> ignored) : base(Describe(prompt, ignored))
    {
        Prompt = prompt;
        Ignored = ignored;
    }

    /// <summary>Prompts the scene model understands, shown in the message.</summary>
    public static IReadOnlyList<string> Examples { get; } =
    [
        "a red circle", "a big blue square in the top left corner", "a tiny white cross on a dark background",
        "a green ring at the bottom", "a medium sized yellow triangle in the center on a light background",
    ];

    /// <summary>The prompt that named nothing.</summary>
    public string Prompt { get; }

    /// <summary>Its words that the reader does not know.</summary>
    public IReadOnlyList<string> Ignored { get; }

    private static string Describe(string prompt, IReadOnlyList<string> ignored)
    {
        string what = ignored.Count > 0 ? $" (not understood: {string.Join(", ", ignored)})" : "";
        return $"The prompt \"{prompt}\" names nothing this model draws{what}. It draws one shape (circle, square, triangle, cross, ring) "
            + $"in a colour ({string.Join(", ", FlexiDiT.Data.ShapeColor.Palette.Select(c => c.Name))}), small, medium or large, in one of 9 places "
            + "(top left ... bottom right, center), on a light or dark background. For example: "
            + string.Join("; ", Examples.Select(e => $"\"{e}\"")) + ".";
    }
}
