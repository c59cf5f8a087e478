namespace FlexiDiT.Prompts;

/// <summary>The class a prompt was matched to.</summary>
/// <param name="ClassIndex">The class label.</param>
/// <param name="Name">The class's canonical name.</param>
/// <param name="Score">1 for an exact match of one of its names (up to case, punctuation and plurals); below 1 for a fuzzy one.</param>
/// <param name="MatchedText">The words of the prompt that matched, as written.</param>
public sealed record ClassMatch(int ClassIndex, string Name, double Score, string MatchedText);
