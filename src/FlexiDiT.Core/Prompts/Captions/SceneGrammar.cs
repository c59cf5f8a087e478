using FlexiDiT.Data;
using FlexiDiT.Data.Scenes;

namespace FlexiDiT.Prompts.Captions;

/// <summary>
/// The language of the Shapes scenes: templates, synonyms for every attribute value (split into those training
/// captions use and held-out ones they never use), and the function words a reader knows but that name nothing.
/// Every word of every caption is in <see cref="Words"/>, which is what the tokenizer's vocabulary is made of.
/// </summary>
public static class SceneGrammar
{
    private const CaptionSplit T = CaptionSplit.Training;
    private const CaptionSplit H = CaptionSplit.HeldOut;

    /// <summary>All templates, training first.</summary>
    public static IReadOnlyList<CaptionTemplate> Templates { get; } =
    [
        new("{np} {pos} {bg}", T),
        new("{np} {bg} {pos}", T),
        new("{pos}, {np} {bg}", T),
        new("there is {np} {pos} {bg}", T),
        new("{bare}, {pos}, {bg}", T),
        new("a picture of {np} {pos} {bg}", T),
        new("{bare} {pos} {bg}", T),
        new("draw {np} {pos} {bg}", H),
        new("an image showing {after} {pos} {bg}", H),
        new("{pos} you see {np} {bg}", H),
        new("{np} placed {pos} {bg}", H),
    ];

    /// <summary>All phrases, grouped by attribute and value, training before held-out within each value.</summary>
    public static IReadOnlyList<CaptionPhrase> Phrases { get; } = BuildPhrases();

    /// <summary>Nouns for an object whose shape the caption leaves out.</summary>
    public static IReadOnlyList<(string Text, CaptionSplit Split)> GenericNouns { get; } =
        [("shape", T), ("object", T), ("thing", H), ("figure", H)];

    /// <summary>Words a reader knows that name no attribute ("a", "the", "in", "background", ...).</summary>
    public static IReadOnlySet<string> FunctionWords { get; } = new SortedSet<string>(StringComparer.Ordinal)
    {
        "a", "an", "the", "one", "single", "in", "on", "at", "of", "with", "and", "to", "is", "are", "there", "it", "its",
        "this", "that", "which", "by", "near", "along", "against", "over", "very", "please", "me", "you", "see", "draw",
        "make", "show", "showing", "image", "picture", "photo", "placed", "located", "sitting", "shape", "object", "thing",
        "figure", "background", "backdrop", "color", "colour", "colored", "coloured", "sized",
    };

    /// <summary>
    /// Every word the grammar uses, in the reader's normal form (lower case, singular), sorted: the tokenizer's words.
    /// </summary>
    public static IReadOnlyList<string> Words { get; } = Phrases.Select(p => p.Text)
        .Concat(Templates.Select(t => t.FixedWords))
        .Concat(GenericNouns.Select(n => n.Text))
        .SelectMany(text => PromptText.Tokenize(text).Select(w => w.Normalized))
        .Concat(FunctionWords)
        .Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();

    /// <summary>
    /// The words training captions are made of (training phrases, templates and generic nouns, and the articles the
    /// captioner puts before a noun phrase), in normal form: the only words whose embeddings training teaches.
    /// </summary>
    public static IReadOnlySet<string> TrainingWords { get; } = new SortedSet<string>(
        Phrases.Where(p => p.Split == T).Select(p => p.Text)
            .Concat(Templates.Where(t => t.Split == T).Select(t => t.FixedWords))
            .Concat(GenericNouns.Where(n => n.Split == T).Select(n => n.Text))
            .Append("a an")
            .SelectMany(text => PromptText.Tokenize(text).Select(w => w.Normalized)),
        StringComparer.Ordinal);

    /// <summary>The phrases of one attribute value in one split.</summary>
    public static IReadOnlyList<CaptionPhrase> PhrasesFor(SceneAttribute attribute, int value, CaptionSplit split) =>
        Phrases.Where(p => p.Attribute == attribute && p.Value == value && p.Split == split).ToArray();

    private static CaptionPhrase[] BuildPhrases()
    {
        var phrases = new List<CaptionPhrase>();
        void Add<TValue>(SceneAttribute attribute, TValue value, string[] training, string[] heldOut) where TValue : struct
        {
            int index = Convert.ToInt32(value, System.Globalization.CultureInfo.InvariantCulture);
            phrases.AddRange(training.Select(t => new CaptionPhrase(attribute, index, t, T)));
            phrases.AddRange(heldOut.Select(t => new CaptionPhrase(attribute, index, t, H)));
        }

        Add(SceneAttribute.Shape, ShapeKind.Circle, ["circle", "disc", "ball"], ["disk", "round shape"]);
        Add(SceneAttribute.Shape, ShapeKind.Square, ["square", "box"], ["square box", "block"]);
        Add(SceneAttribute.Shape, ShapeKind.Triangle, ["triangle", "triangular shape"], ["three sided shape", "wedge"]);
        Add(SceneAttribute.Shape, ShapeKind.Cross, ["cross", "plus", "plus shape"], ["plus sign", "plus symbol"]);
        Add(SceneAttribute.Shape, ShapeKind.Ring, ["ring", "donut", "hollow circle"], ["doughnut", "hoop"]);

        string[][] colours =
        [
            ["red"], ["scarlet"],
            ["orange"], ["tangerine"],
            ["yellow"], ["lemon"],
            ["green"], ["emerald"],
            ["cyan", "turquoise"], ["aqua"],
            ["blue"], ["cobalt"],
            ["purple"], ["violet"],
            ["white"], ["snow white"],
        ];
        for (int c = 0; c < ShapeColor.Palette.Count; c++) Add(SceneAttribute.Color, c, colours[2 * c], colours[2 * c + 1]);

        Add(SceneAttribute.Size, SceneSize.Small, ["small", "little"], ["tiny", "miniature"]);
        Add(SceneAttribute.Size, SceneSize.Medium, ["medium", "medium sized", "mid sized"], ["average sized", "normal sized"]);
        Add(SceneAttribute.Size, SceneSize.Large, ["large", "big"], ["huge", "giant"]);

        foreach (var (vertical, row) in new[] { ("top", "upper"), ("bottom", "lower") })
        {
            int offset = vertical == "top" ? 0 : 6;
            foreach (var (side, column) in new[] { ("left", 0), ("right", 2) })
            {
                Add(SceneAttribute.Position, (ScenePosition)(offset + column),
                    [$"in the {vertical} {side}", $"in the {vertical} {side} corner", $"at the {row} {side}"],
                    [$"in the {row} {side} corner", $"in the {vertical} {side} hand corner"]);
            }

            Add(SceneAttribute.Position, (ScenePosition)(offset + 1),
                [$"at the {vertical}", $"at the {vertical} center", $"in the {vertical} middle"],
                [$"along the {vertical} edge", $"in the {row} middle"]);
        }
        foreach (var (side, position) in new[] { ("left", ScenePosition.Left), ("right", ScenePosition.Right) })
            Add(SceneAttribute.Position, position, [$"on the {side}", $"on the {side} side", $"at the {side}"], [$"on the {side} hand side", $"by the {side} edge"]);
        Add(SceneAttribute.Position, ScenePosition.Center, ["in the center", "in the middle", "in the centre"], ["centred", "centered"]);

        Add(SceneAttribute.Background, SceneBackground.Light,
            ["on a light background", "on a bright background", "against a light background"], ["on a pale backdrop", "over a light backdrop"]);
        Add(SceneAttribute.Background, SceneBackground.Dark,
            ["on a dark background", "on a black background", "against a dark background"], ["on a dim backdrop", "over a dark backdrop"]);
        return phrases.OrderBy(p => p.Attribute).ThenBy(p => p.Value).ThenBy(p => p.Split).ToArray();
    }
}
