namespace FlexiDiT.Prompts.Captions;

/// <summary>
/// A caption's word order. Slots: <c>{np}</c> "a big red circle", <c>{bare}</c> "big red circle",
/// <c>{after}</c> "a big circle in red" (colour after the noun), <c>{pos}</c> a position phrase, <c>{bg}</c> a background
/// phrase. A slot whose attributes the caption leaves out disappears with the punctuation next to it.
/// </summary>
/// <param name="Text">The pattern, e.g. "there is {np} {pos} {bg}".</param>
/// <param name="Split">Whether training captions use it.</param>
public sealed record CaptionTemplate(string Text, CaptionSplit Split)
{
    /// <summary>The template's own words (outside slots), which a held-out template uses and training never does.</summary>
    public string FixedWords => string.Join(' ', System.Text.RegularExpressions.Regex.Replace(Text, @"\{[a-z]+\}|[^a-z ]", " ").Split(' ', StringSplitOptions.RemoveEmptyEntries));
}
