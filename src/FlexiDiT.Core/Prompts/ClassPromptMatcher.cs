using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace FlexiDiT.Prompts;

/// <summary>
/// Maps free text to one class of a class-conditional model: "a red circle please" → "red circle",
/// "a golden retriever on the beach" → ImageNet 207. Case, punctuation, accents and plurals do not matter;
/// class names must appear as whole words, and the longest (most specific) one wins. "gold fish" and
/// "goldenretriever" match their one- and two-word forms. When no name appears, words within a few typos
/// of a name match fuzzily ("a red cirle"), if similar enough (<see cref="FuzzyThreshold"/>).
/// Immutable and thread-safe; the names are normalised and indexed once, so a match costs a few dictionary
/// lookups per prompt word.
/// </summary>
public sealed class ClassPromptMatcher
{
    /// <summary>Default least similarity of a fuzzy match (mean over the name's words of 1 - edits / length).</summary>
    public const double DefaultFuzzyThreshold = 0.82;

    // Vocabularies this small are listed whole in the "unknown class" message.
    private const int ListAllNamesUpTo = 50;
    // "golden retriever" written as one word, "gold fish" as two: windows of up to this many words are joined.
    private const int MaxJoinedWords = 3;
    private const int SuggestionCount = 5;

    private static readonly Lazy<ClassPromptMatcher> ImageNetMatcher = new(() => new ClassPromptMatcher(ClassVocabulary.ImageNet));

    private readonly ClassEntry[] classes;
    private readonly Dictionary<int, int> positionOfIndex = new();
    private readonly Dictionary<string, int> tokenIds = new(StringComparer.Ordinal);
    private readonly string[] vocabulary;
    private readonly NameForm[] names;
    private readonly int[][] namesByFirstToken;
    private readonly (int Name, int Position)[][] namesByToken;
    private readonly Dictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> namesByJoined;

    /// <summary>A class name, normalised: word ids, literal words, and all words run together.</summary>
    private sealed record NameForm(int Class, string Text, int[] Tokens, string[] Surface, string Joined);

    private readonly record struct Candidate(int Name, int Start, int Span, bool SurfaceExact, double Score);

    /// <summary>Indexes <paramref name="classes"/> (class indices must be distinct).</summary>
    public ClassPromptMatcher(IEnumerable<ClassEntry> classes, double fuzzyThreshold = DefaultFuzzyThreshold)
    {
        this.classes = classes.ToArray();
        if (this.classes.Length == 0) throw new ArgumentException("A class prompt matcher needs at least one class.", nameof(classes));
        if (!(fuzzyThreshold > 0 && fuzzyThreshold <= 1))
            throw new ArgumentOutOfRangeException(nameof(fuzzyThreshold), fuzzyThreshold, "The fuzzy threshold must be in (0, 1].");
        FuzzyThreshold = fuzzyThreshold;

        var vocab = new List<string>();
        var forms = new List<NameForm>();
        for (int c = 0; c < this.classes.Length; c++)
        {
            if (!positionOfIndex.TryAdd(this.classes[c].Index, c))
                throw new ArgumentException($"Class index {this.classes[c].Index} appears twice (\"{this.classes[positionOfIndex[this.classes[c].Index]].Name}\" and \"{this.classes[c].Name}\").", nameof(classes));
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (string name in this.classes[c].AllNames)
            {
                var words = PromptText.Tokenize(name);
                if (words.Count == 0) continue;
                string joined = string.Concat(words.Select(w => w.Normalized));
                if (!seen.Add(string.Join(' ', words.Select(w => w.Normalized)))) continue;
                int[] ids = words.Select(w => Intern(w.Normalized, vocab)).ToArray();
                forms.Add(new NameForm(c, name, ids, words.Select(w => w.Surface).ToArray(), joined));
            }
        }
        vocabulary = vocab.ToArray();
        names = forms.ToArray();

        var first = new List<int>[vocabulary.Length];
        var any = new List<(int, int)>[vocabulary.Length];
        var joinedIndex = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        for (int n = 0; n < names.Length; n++)
        {
            (first[names[n].Tokens[0]] ??= new()).Add(n);
            for (int p = 0; p < names[n].Tokens.Length; p++) (any[names[n].Tokens[p]] ??= new()).Add((n, p));
            (joinedIndex.TryGetValue(names[n].Joined, out var list) ? list : joinedIndex[names[n].Joined] = new()).Add(n);
        }
        namesByFirstToken = first.Select(l => l?.ToArray() ?? []).ToArray();
        namesByToken = any.Select(l => l?.ToArray() ?? []).ToArray();
        namesByJoined = joinedIndex.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray(), StringComparer.Ordinal)
            .GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The 1000 ImageNet classes (<see cref="ClassVocabulary.ImageNet"/>), built on first use.</summary>
    public static ClassPromptMatcher ImageNet => ImageNetMatcher.Value;

    /// <summary>The classes, in the order given.</summary>
    public IReadOnlyList<ClassEntry> Classes => classes;

    /// <summary>Least similarity a fuzzy match needs.</summary>
    public double FuzzyThreshold { get; }

    /// <summary>The one class <paramref name="prompt"/> names. A prompt that is just a class index selects it.</summary>
    /// <exception cref="UnknownClassException">No class matches; the message lists the closest names.</exception>
    /// <exception cref="AmbiguousClassException">Several classes match equally well; the message lists them.</exception>
    public ClassMatch Match(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        var words = PromptText.Tokenize(prompt);
        var (match, ambiguous) = Resolve(prompt, words);
        if (match is not null) return match;
        if (ambiguous is not null) throw new AmbiguousClassException(prompt, ambiguous);
        throw new UnknownClassException(prompt, Closest(words),
            classes.Length <= ListAllNamesUpTo ? classes.Select(c => c.Name).ToArray() : null);
    }

    /// <summary>Like <see cref="Match"/>, but false instead of an exception for an unknown or ambiguous prompt.</summary>
    public bool TryMatch(string prompt, [NotNullWhen(true)] out ClassMatch? match)
    {
        match = prompt is null ? null : Resolve(prompt, PromptText.Tokenize(prompt)).Match;
        return match is not null;
    }

    private (ClassMatch? Match, IReadOnlyList<ClassMatch>? Ambiguous) Resolve(string prompt, List<PromptToken> words)
    {
        if (int.TryParse(prompt.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out int index) && positionOfIndex.TryGetValue(index, out int position))
            return (new ClassMatch(index, classes[position].Name, 1.0, prompt.Trim()), null);
        if (words.Count == 0) return (null, null);

        int n = words.Count;
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = tokenIds.TryGetValue(words[i].Normalized, out int id) ? id : -1;

        var found = ExactCandidates(words, ids);
        if (found.Count > 0) return Decide(prompt, words, found, preferLiteral: true);
        found = FuzzyCandidates(words, ids);
        return found.Count > 0 ? Decide(prompt, words, found, preferLiteral: false) : (null, null);
    }

    private List<Candidate> ExactCandidates(List<PromptToken> words, int[] ids)
    {
        var found = new List<Candidate>();
        int n = words.Count;
        for (int i = 0; i < n; i++)
        {
            if (ids[i] < 0) continue;
            foreach (int name in namesByFirstToken[ids[i]])
            {
                var form = names[name];
                int length = form.Tokens.Length;
                if (i + length > n) continue;
                bool same = true, literal = true;
                for (int j = 0; j < length && same; j++)
                {
                    same = ids[i + j] == form.Tokens[j];
                    literal &= words[i + j].Surface == form.Surface[j];
                }
                if (same) found.Add(new Candidate(name, i, length, literal, 1.0));
            }
        }

        // Words run together or split apart: "goldenretriever", "gold fish".
        Span<char> buffer = stackalloc char[128];
        for (int i = 0; i < n; i++)
        {
            int used = 0;
            for (int length = 1; length <= MaxJoinedWords && i + length <= n; length++)
            {
                string word = words[i + length - 1].Normalized;
                if (used + word.Length > buffer.Length) break;
                word.AsSpan().CopyTo(buffer[used..]);
                used += word.Length;
                if (!namesByJoined.TryGetValue(buffer[..used], out var joined)) continue;
                foreach (int name in joined)
                    if (names[name].Tokens.Length != length) found.Add(new Candidate(name, i, length, false, 1.0));
            }
        }
        return found;
    }

    private List<Candidate> FuzzyCandidates(List<PromptToken> words, int[] ids)
    {
        int n = words.Count;
        // For each prompt word, the vocabulary words within its allowed edits, with their similarity.
        var options = new List<(int Token, double Similarity)>[n];
        for (int i = 0; i < n; i++)
        {
            options[i] = new();
            if (ids[i] >= 0) options[i].Add((ids[i], 1.0));
            string word = words[i].Normalized;
            for (int v = 0; v < vocabulary.Length; v++)
            {
                string candidate = vocabulary[v];
                int allowed = AllowedEdits(Math.Min(word.Length, candidate.Length));
                if (v == ids[i] || allowed == 0 || Math.Abs(word.Length - candidate.Length) > allowed) continue;
                int distance = EditDistance.Bounded(word, candidate, allowed);
                if (distance <= allowed) options[i].Add((v, EditDistance.Similarity(distance, word.Length, candidate.Length)));
            }
        }

        var found = new List<Candidate>();
        var tried = new HashSet<(int, int)>();
        for (int i = 0; i < n; i++)
        {
            foreach (var (token, _) in options[i])
            {
                foreach (var (name, position) in namesByToken[token])
                {
                    var form = names[name];
                    int start = i - position;
                    if (start < 0 || start + form.Tokens.Length > n || !tried.Add((name, start))) continue;
                    double total = 0;
                    for (int j = 0; j < form.Tokens.Length && total >= 0; j++)
                    {
                        double similarity = SimilarityAt(options[start + j], form.Tokens[j]);
                        total = similarity > 0 ? total + similarity : -1;
                    }
                    double score = total / form.Tokens.Length;
                    if (total >= 0 && score >= FuzzyThreshold) found.Add(new Candidate(name, start, form.Tokens.Length, false, score));
                }
            }
        }
        return found;
    }

    private static double SimilarityAt(List<(int Token, double Similarity)> options, int token)
    {
        foreach (var (t, s) in options)
            if (t == token) return s;
        return 0;
    }

    // Short words must be spelled right; longer ones may have one typo, long ones two.
    private static int AllowedEdits(int length) => length switch
    {
        <= 3 => 0,
        <= 7 => 1,
        _ => 2,
    };

    private (ClassMatch?, IReadOnlyList<ClassMatch>?) Decide(string prompt, List<PromptToken> words, List<Candidate> found, bool preferLiteral)
    {
        // Most specific first: more words, then (fuzzy) higher similarity.
        int bestSpan = found.Max(c => c.Span);
        var top = found.Where(c => c.Span == bestSpan).ToList();
        double bestScore = top.Max(c => c.Score);
        top = top.Where(c => c.Score >= bestScore - 1e-9).ToList();
        if (preferLiteral && top.Select(c => names[c.Name].Class).Distinct().Count() > 1
            && top.All(c => c.Start == top[0].Start) && top.Any(c => c.SurfaceExact))
        {
            // Two readings of the same words ("sunglasses" is also the plural of "sunglass"): take the literal one.
            top = top.Where(c => c.SurfaceExact).ToList();
        }
        var perClass = top.GroupBy(c => names[c.Name].Class).Select(g => g.OrderByDescending(c => c.SurfaceExact).First())
            .OrderBy(c => c.Start).Select(c => ToMatch(prompt, words, c)).ToList();
        return perClass.Count == 1 ? (perClass[0], null) : (null, perClass);
    }

    private ClassMatch ToMatch(string prompt, List<PromptToken> words, Candidate c)
    {
        var entry = classes[names[c.Name].Class];
        int from = words[c.Start].Start, to = words[c.Start + c.Span - 1].End;
        return new ClassMatch(entry.Index, entry.Name, c.Score, prompt[from..to]);
    }

    /// <summary>The classes most similar to the prompt's words, for the "unknown class" message (slower; failures only).</summary>
    private IReadOnlyList<ClassMatch> Closest(List<PromptToken> words)
    {
        if (words.Count == 0) return [];
        var similarity = new double[vocabulary.Length];
        for (int v = 0; v < vocabulary.Length; v++)
        {
            foreach (var word in words)
                similarity[v] = Math.Max(similarity[v], EditDistance.Similarity(EditDistance.Full(word.Normalized, vocabulary[v]), word.Normalized.Length, vocabulary[v].Length));
        }

        var best = new double[classes.Length];
        foreach (var form in names)
            best[form.Class] = Math.Max(best[form.Class], form.Tokens.Average(t => similarity[t]));
        return Enumerable.Range(0, classes.Length)
            .Where(c => best[c] > 0)
            .OrderByDescending(c => best[c]).ThenBy(c => classes[c].Index)
            .Take(SuggestionCount)
            .Select(c => new ClassMatch(classes[c].Index, classes[c].Name, best[c], ""))
            .ToList();
    }

    private int Intern(string token, List<string> vocab)
    {
        if (tokenIds.TryGetValue(token, out int id)) return id;
        tokenIds[token] = vocab.Count;
        vocab.Add(token);
        return vocab.Count - 1;
    }
}
