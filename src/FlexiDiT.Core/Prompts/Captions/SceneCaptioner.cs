using System.Text;
using System.Text.RegularExpressions;
using FlexiDiT.Data.Scenes;

namespace FlexiDiT.Prompts.Captions;

/// <summary>
/// Writes the captions people might write for a scene: a random template and random synonyms of one split, with
/// attributes left out at random (each with its own chance, at least one named), a random capital and full stop.
/// What the caption names is returned with it: the evaluation judges only those attributes.
/// </summary>
public static partial class SceneCaptioner
{
    // Chance that a caption names each attribute (shape and colour are what people say most).
    private static readonly double[] NameChance = [0.85, 0.8, 0.6, 0.6, 0.5];

    /// <summary>A caption of <paramref name="scene"/> and the attributes it names.</summary>
    public static (string Caption, SceneRequest Request) Caption(SceneAttributes scene, Random random, CaptionSplit split = CaptionSplit.Training)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(random);
        var request = new SceneRequest();
        foreach (var attribute in Enum.GetValues<SceneAttribute>())
            if (random.NextDouble() < NameChance[(int)attribute]) request = request.With(attribute, scene[attribute]);
        if (request.Named.Count == 0) request = request.With(SceneAttribute.Shape, scene[SceneAttribute.Shape]);
        return (Write(request, random, split), request);
    }

    /// <summary>A caption that names exactly the attributes of <paramref name="request"/> (at least one).</summary>
    public static string Write(SceneRequest request, Random random, CaptionSplit split = CaptionSplit.Training)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(random);
        if (request.Named.Count == 0) throw new ArgumentException("A caption needs at least one named attribute.", nameof(request));
        var templates = SceneGrammar.Templates.Where(t => t.Split == split).ToArray();
        var template = templates[random.Next(templates.Length)];

        string Say(SceneAttribute attribute)
        {
            if (request[attribute] is not int value) return "";
            var phrases = SceneGrammar.PhrasesFor(attribute, value, split);
            return phrases[random.Next(phrases.Count)].Text;
        }
        string size = Say(SceneAttribute.Size), color = Say(SceneAttribute.Color), shape = Say(SceneAttribute.Shape);
        if (shape.Length == 0)
        {
            var nouns = SceneGrammar.GenericNouns.Where(n => n.Split == split).ToArray();
            shape = nouns[random.Next(nouns.Length)].Text;
        }
        string bare = Join(size, color, shape);
        string after = Join(size, shape, color.Length > 0 ? "in " + color : "");
        var text = new StringBuilder(template.Text)
            .Replace("{np}", WithArticle(bare)).Replace("{bare}", bare).Replace("{after}", WithArticle(after))
            .Replace("{pos}", Say(SceneAttribute.Position)).Replace("{bg}", Say(SceneAttribute.Background)).ToString();
        // Empty slots leave doubled spaces and commas behind.
        text = Spaces().Replace(text, " ");
        text = EmptyClauses().Replace(text, ",").Replace(" ,", ",").Trim(' ', ',');
        if (random.NextDouble() < 0.5) text = char.ToUpperInvariant(text[0]) + text[1..];
        if (random.NextDouble() < 0.3) text += ".";
        return text;
    }

    private static string Join(params string[] words) => string.Join(' ', words.Where(w => w.Length > 0));

    private static string WithArticle(string nounPhrase) => ("aeiou".Contains(nounPhrase[0]) ? "an " : "a ") + nounPhrase;

    [GeneratedRegex(@"\s+")]
    private static partial Regex Spaces();

    [GeneratedRegex(@",(\s*,)+")]
    private static partial Regex EmptyClauses();
}
