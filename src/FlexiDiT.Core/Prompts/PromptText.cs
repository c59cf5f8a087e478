using System.Globalization;
using System.Text;

namespace FlexiDiT.Prompts;

/// <summary>
/// The normalisation prompts and class names share: words are runs of letters and digits (anything else
/// separates them, apostrophes vanish: "potter's" → "potters"), lower-cased, accents folded, then made
/// singular by a few English rules. Both sides go through the same rules, so a crude rule is still consistent.
/// </summary>
internal static class PromptText
{
    private static readonly Dictionary<string, string> Irregular = new(StringComparer.Ordinal)
    {
        ["mice"] = "mouse", ["geese"] = "goose", ["teeth"] = "tooth", ["feet"] = "foot", ["men"] = "man",
        ["women"] = "woman", ["children"] = "child", ["people"] = "person", ["oxen"] = "ox", ["lice"] = "louse",
        ["wolves"] = "wolf", ["knives"] = "knife", ["leaves"] = "leaf", ["loaves"] = "loaf", ["halves"] = "half",
        ["shelves"] = "shelf", ["buses"] = "bus", ["cacti"] = "cactus", ["fungi"] = "fungus", ["octopi"] = "octopus",
    };

    /// <summary>Splits <paramref name="text"/> into words, appending them to <paramref name="into"/>.</summary>
    public static void Tokenize(string text, List<PromptToken> into)
    {
        var word = new StringBuilder(16);
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            char c = i < text.Length ? text[i] : ' ';
            if (c is '\'' or '\u2019' or '\u02bc' && start >= 0) continue; // inside a word: "potter's" → "potters"
            bool appended = false;
            if (c < 0x80)
            {
                if (char.IsAsciiLetterOrDigit(c)) { word.Append(char.ToLowerInvariant(c)); appended = true; }
            }
            else if (char.IsLetterOrDigit(c))
            {
                foreach (char d in c.ToString().Normalize(NormalizationForm.FormD))
                    if (CharUnicodeInfo.GetUnicodeCategory(d) != UnicodeCategory.NonSpacingMark) word.Append(char.ToLowerInvariant(d));
                appended = true;
            }
            if (appended)
            {
                if (start < 0) start = i;
                continue;
            }
            if (word.Length > 0)
            {
                string surface = word.ToString();
                into.Add(new PromptToken(Singular(surface), surface, start, LastWordChar(text, i)));
                word.Clear();
            }
            start = -1;
        }
    }

    /// <summary>The words of <paramref name="text"/>.</summary>
    public static List<PromptToken> Tokenize(string text)
    {
        var tokens = new List<PromptToken>();
        Tokenize(text, tokens);
        return tokens;
    }

    /// <summary>A plural's singular by common English rules; other words unchanged.</summary>
    public static string Singular(string word)
    {
        if (Irregular.TryGetValue(word, out var singular)) return singular;
        if (word.Length <= 3 || word[^1] != 's') return word;
        if (word.EndsWith("ies", StringComparison.Ordinal) && word.Length > 4) return word[..^3] + "y";
        if (word.EndsWith("sses", StringComparison.Ordinal) || word.EndsWith("shes", StringComparison.Ordinal)
            || word.EndsWith("ches", StringComparison.Ordinal) || word.EndsWith("xes", StringComparison.Ordinal)
            || word.EndsWith("zzes", StringComparison.Ordinal))
        {
            return word[..^2];
        }

        if (word.EndsWith("ss", StringComparison.Ordinal) || word.EndsWith("us", StringComparison.Ordinal) || word.EndsWith("is", StringComparison.Ordinal))
            return word;
        return word[..^1];
    }

    // Apostrophes skipped at the end of a word must not be part of its span.
    private static int LastWordChar(string text, int end)
    {
        while (end > 0 && text[end - 1] is '\'' or '\u2019' or '\u02bc') end--;
        return end;
    }
}
