using FlexiDiT.Data.Scenes;

namespace FlexiDiT.Prompts.Captions;

/// <summary>
/// Reads which scene attributes a prompt names: "A huge scarlet plus sign in the upper left corner!" → large, red,
/// cross, top left. It knows every phrase of <see cref="SceneGrammar"/>, training and held-out, and its function
/// words; matching is by whole words after the shared prompt normalisation (case, accents, plurals), longest phrase
/// first, so "hollow circle" is a ring and "top center" is the top cell. Words it does not know, and a second
/// different value for an attribute already named, are reported as ignored rather than guessed at.
/// </summary>
public static class SceneCaptionReader
{
    private static readonly Dictionary<string, (SceneAttribute Attribute, int Value)> Lexicon = BuildLexicon(out MaxPhraseWords);
    private static readonly int MaxPhraseWords;

    /// <summary>Reads <paramref name="prompt"/>.</summary>
    /// <exception cref="NoSceneConceptException">The prompt names no attribute at all.</exception>
    public static SceneReading Read(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var words = PromptText.Tokenize(prompt).Where(w => !SceneGrammar.FunctionWords.Contains(w.Normalized)).ToArray();
        var request = new SceneRequest();
        var ignored = new List<string>();
        for (int i = 0; i < words.Length;)
        {
            int length = Math.Min(MaxPhraseWords, words.Length - i);
            for (; length > 0; length--)
            {
                if (!Lexicon.TryGetValue(Key(words.AsSpan(i, length)), out var meaning)) continue;
                if (request[meaning.Attribute] is null) request = request.With(meaning.Attribute, meaning.Value);
                else if (request[meaning.Attribute] != meaning.Value) ignored.Add(string.Join(' ', words[i..(i + length)].Select(w => w.Surface)));
                break;
            }
            if (length == 0)
            {
                ignored.Add(words[i].Surface);
                length = 1;
            }
            i += length;
        }
        if (request.Named.Count == 0) throw new NoSceneConceptException(prompt, ignored);
        return new SceneReading(request, ignored);
    }

    private static string Key(ReadOnlySpan<PromptToken> words)
    {
        var parts = new string[words.Length];
        for (int i = 0; i < words.Length; i++) parts[i] = words[i].Normalized;
        return string.Join(' ', parts);
    }

    private static Dictionary<string, (SceneAttribute, int)> BuildLexicon(out int maxWords)
    {
        var lexicon = new Dictionary<string, (SceneAttribute, int)>(StringComparer.Ordinal);
        maxWords = 0;
        foreach (var phrase in SceneGrammar.Phrases)
        {
            var content = PromptText.Tokenize(phrase.Text).Where(w => !SceneGrammar.FunctionWords.Contains(w.Normalized)).ToArray();
            if (content.Length == 0) throw new InvalidOperationException($"The phrase \"{phrase.Text}\" has only function words; the reader could not see it.");
            string key = Key(content);
            if (lexicon.TryGetValue(key, out var other) && other != (phrase.Attribute, phrase.Value))
                throw new InvalidOperationException($"The words \"{key}\" mean both {other} and {(phrase.Attribute, phrase.Value)}.");
            lexicon[key] = (phrase.Attribute, phrase.Value);
            maxWords = Math.Max(maxWords, content.Length);
        }
        return lexicon;
    }
}
