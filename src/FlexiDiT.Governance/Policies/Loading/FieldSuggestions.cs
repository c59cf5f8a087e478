namespace FlexiDiT.Governance.Policies.Loading;

/// <summary>Suggests the name a typo most likely meant, so "unknown field" errors say how to fix them.</summary>
internal static class FieldSuggestions
{
    public static string Hint(string typed, IEnumerable<string> known)
    {
        var candidates = known.ToList();
        var best = candidates
            .Select(k => (Name: k, Distance: Distance(typed.ToLowerInvariant(), k.ToLowerInvariant())))
            .OrderBy(c => c.Distance)
            .FirstOrDefault();

        // Beyond a third of the word's length the "closest" name is noise, so list the choices instead.
        return best.Name is not null && best.Distance <= Math.Max(2, typed.Length / 3)
            ? $" (did you mean '{best.Name}'?)"
            : $" (expected one of: {string.Join(", ", candidates)})";
    }

    // Levenshtein distance with two rows; names are short.
    internal static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1);
                current[j] = Math.Min(Math.Min(previous[j] + 1, current[j - 1] + 1), substitution);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
