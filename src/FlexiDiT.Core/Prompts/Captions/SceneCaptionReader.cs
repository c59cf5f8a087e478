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
    private static readonly Dictionary<string, CaptionPhrase> Lexicon = BuildLexicon(out MaxPhraseWords);
    private static readonly int MaxPhraseWords;

    /// <summary>Reads <paramref name="prompt"/>.</summary>
    /// <exception cref="NoSceneConceptException">The prompt names no attribute at all.</exception>
    public static SceneReading Read(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var words = PromptText.Tokenize(prompt).Where(w => !SceneGrammar.FunctionWords.Contains(w.Normalized)).ToArray();
        var request = new SceneRequest();
        var ignored = new List<string>();
        var spans = new List<SceneSpan>();
        for (int i = 0; i < words.Length;)
        {
            int length = Math.Min(MaxPhraseWords, words.Length - i);
            for (; length > 0; length--)
            {
                if (!Lexicon.TryGetValue(Key(words.AsSpan(i, length)), out var phrase)) continue;
                string text = string.Join(' ', words[i..(i + length)].Select(w => w.Surface));
                bool second = request[phrase.Attribute] is { } named && named != phrase.Value;
                if (request[phrase.Attribute] is null) request = request.With(phrase.Attribute, phrase.Value);
                else if (second) ignored.Add(text);
                spans.Add(new SceneSpan(words[i].Start, words[i + length - 1].End, text, phrase, second));
                break;
            }
            if (length == 0)
            {
                ignored.Add(words[i].Surface);
                spans.Add(new SceneSpan(words[i].Start, words[i].End, words[i].Surface, null, IsIgnored: true));
                length = 1;
            }
            i += length;
        }
        if (request.Named.Count == 0) throw new NoSceneConceptException(prompt, ignored);
        return new SceneReading(request, ignored) { Spans = spans };
    }

    private static string Key(ReadOnlySpan<PromptToken> words)
    {
        var parts = new string[words.Length];
        for (int i = 0; i < words.Length; i++) parts[i] = words[i].Normalized;
        return string.Join(' ', parts);
    }

    // Phrases come training before held-out within a value, so words a training and a held-out phrase share ("light"
    // of "on a light background" and "over a light backdrop") map to the training phrase.
    private static Dictionary<string, CaptionPhrase> BuildLexicon(out int maxWords)
    {
        var lexicon = new Dictionary<string, CaptionPhrase>(StringComparer.Ordinal);
        maxWords = 0;
        foreach (var phrase in SceneGrammar.Phrases)
        {
            var content = PromptText.Tokenize(phrase.Text).Where(w => !SceneGrammar.FunctionWords.Contains(w.Normalized)).ToArray();
            if (content.Length == 0) throw new InvalidOperationException($"The phrase \"{phrase.Text}\" has only function words; the reader could not see it.");
            string key = Key(content);
            if (lexicon.TryGetValue(key, out var other))
            {
                if ((other.Attribute, other.Value) != (phrase.Attribute, phrase.Value))
                    throw new InvalidOperationException($"The words \"{key}\" mean both {(other.Attribute, other.Value)} and {(phrase.Attribute, phrase.Value)}.");
            }
            else
            {
                lexicon[key] = phrase;
            }
            maxWords = Math.Max(maxWords, content.Length);
        }
        return lexicon;
    }
}
