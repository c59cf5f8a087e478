namespace FlexiDiT.Prompts.Captions;

/// <summary>
/// A run of a prompt's words the scene reader took as one unit: a phrase of the grammar ("upper left corner"), or a word
/// it does not know ("giraffe"). Function words between phrases ("a", "the", "on") belong to no span.
/// </summary>
/// <param name="Start">Index of its first character in the prompt.</param>
/// <param name="End">Index after its last character in the prompt.</param>
/// <param name="Text">Its words as written (lower case, single spaces; function words inside it left out).</param>
/// <param name="Phrase">
/// The grammar phrase it matched (for words several phrases share, the training one), or <see langword="null"/> for an
/// unknown word.
/// </param>
/// <param name="IsIgnored">
/// Whether the reading left it out: an unknown word, or a phrase naming a second value of an attribute already named.
/// </param>
public sealed record SceneSpan(int Start, int End, string Text, CaptionPhrase? Phrase, bool IsIgnored);
