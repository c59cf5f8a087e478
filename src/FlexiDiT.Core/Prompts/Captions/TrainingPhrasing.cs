namespace FlexiDiT.Prompts.Captions;

/// <summary>
/// Rewrites a prompt into the words the scene text encoder was trained on, keeping its word order: every held-out phrase
/// the reader recognises ("huge", "doughnut", "on a pale backdrop") becomes the first training phrase of the same value
/// ("large", "ring", "on a light background"), as does a held-out noun for an unnamed shape ("thing" → "shape"), and
/// words training never used are dropped — unknown and ignored words,
/// and function words outside the training captions ("please", "backdrop"). Training captions never contain held-out
/// words, so their embeddings get no gradient and would feed the denoiser noise; after the rewrite a held-out phrasing
/// encodes exactly as its training twin.
/// </summary>
public static class TrainingPhrasing
{
    /// <summary>The prompt in training words, normalised as the tokenizer reads them ("a large red ring in the top left").</summary>
    /// <exception cref="NoSceneConceptException">The prompt names nothing of the scene world.</exception>
    public static string Rewrite(string prompt)
    {
        var reading = SceneCaptionReader.Read(prompt);
        var tokens = PromptText.Tokenize(prompt);
        var words = new List<string>(tokens.Count);
        int next = 0;
        void Keep(int from, int to)
        {
            for (int i = from; i < to; i++) words.Add(tokens[i].Normalized);
        }
        foreach (var span in reading.Spans)
        {
            int first = tokens.FindIndex(next, w => w.Start == span.Start);
            int last = tokens.FindIndex(first, w => w.End == span.End);
            if (span.IsIgnored)
            {
                Keep(next, first);
            }
            else if (HeldOutExtent(span.Phrase!, tokens, first, last, next) is var (from, to))
            {
                Keep(next, from);
                words.AddRange(Normal(SceneGrammar.PhrasesFor(span.Phrase!.Attribute, span.Phrase.Value, CaptionSplit.Training)[0].Text));
                last = to - 1;
            }
            else
            {
                Keep(next, last + 1);
            }
            next = last + 1;
        }
        Keep(next, tokens.Count);
        return string.Join(' ', words.Select(w => HeldOutNouns.Contains(w) ? TrainingNoun : w).Where(SceneGrammar.TrainingWords.Contains));
    }

    // The nouns of an object whose shape a caption leaves out ("a red thing") are function words to the reader; the
    // held-out ones become the first training one ("shape") like any held-out phrase.
    private static readonly HashSet<string> HeldOutNouns = SceneGrammar.GenericNouns.Where(n => n.Split == CaptionSplit.HeldOut).Select(n => n.Text).ToHashSet(StringComparer.Ordinal);
    private static readonly string TrainingNoun = SceneGrammar.GenericNouns.First(n => n.Split == CaptionSplit.Training).Text;

    /// <summary>
    /// The tokens [from, to) a held-out phrasing of the span covers, its own function words ("on a" ... "backdrop")
    /// included where the prompt has them; null when the span is said the training way. Words a training phrase shares
    /// with a held-out one ("dark" of "over a dark backdrop") count as held-out only with all of the held-out words around them.
    /// </summary>
    private static (int From, int To)? HeldOutExtent(CaptionPhrase matched, List<PromptToken> tokens, int first, int last, int next)
    {
        var content = Content(matched.Text);
        foreach (var phrase in SceneGrammar.PhrasesFor(matched.Attribute, matched.Value, CaptionSplit.HeldOut))
        {
            if (phrase != matched && !Content(phrase.Text).SequenceEqual(content)) continue;
            var (lead, trail) = FunctionWordsAround(phrase.Text);
            bool leads = first - lead.Length >= next && Matches(tokens, first - lead.Length, lead);
            bool trails = Matches(tokens, last + 1, trail);
            if (phrase == matched || leads && trails && lead.Length + trail.Length > 0)
                return (leads ? first - lead.Length : first, trails ? last + 1 + trail.Length : last + 1);
        }
        return null;
    }

    private static string[] Normal(string text) => PromptText.Tokenize(text).Select(w => w.Normalized).ToArray();

    private static string[] Content(string text) => Normal(text).Where(w => !SceneGrammar.FunctionWords.Contains(w)).ToArray();

    private static (string[] Lead, string[] Trail) FunctionWordsAround(string phraseText)
    {
        var words = Normal(phraseText);
        int lead = 0, trail = 0;
        while (lead < words.Length && SceneGrammar.FunctionWords.Contains(words[lead])) lead++;
        while (trail < words.Length - lead && SceneGrammar.FunctionWords.Contains(words[^(trail + 1)])) trail++;
        return (words[..lead], words[(words.Length - trail)..]);
    }

    private static bool Matches(List<PromptToken> tokens, int at, string[] expected)
    {
        if (at < 0 || at + expected.Length > tokens.Count) return false;
        for (int i = 0; i < expected.Length; i++)
            if (!string.Equals(tokens[at + i].Normalized, expected[i], StringComparison.Ordinal)) return false;
        return true;
    }
}
