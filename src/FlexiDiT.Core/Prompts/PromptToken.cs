namespace FlexiDiT.Prompts;

/// <summary>One word of a prompt or class name: its matching form, its literal (lower-case) form, and where it is.</summary>
/// <param name="Normalized">Lower case, accents and apostrophes dropped, singular.</param>
/// <param name="Surface">Lower case, accents and apostrophes dropped, as written otherwise.</param>
/// <param name="Start">Index of its first character in the original text.</param>
/// <param name="End">Index after its last character in the original text.</param>
internal readonly record struct PromptToken(string Normalized, string Surface, int Start, int End);
