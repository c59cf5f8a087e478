using FlexiDiT.Data.Scenes;

namespace FlexiDiT.Prompts.Captions;

/// <summary>One way to say one attribute value: "big", "in the upper left corner", "on a black background".</summary>
/// <param name="Attribute">The attribute it names.</param>
/// <param name="Value">The value index (see <see cref="SceneAttributes"/>).</param>
/// <param name="Text">The words, including any preposition and article a caption needs around them.</param>
/// <param name="Split">Whether training captions use it.</param>
public sealed record CaptionPhrase(SceneAttribute Attribute, int Value, string Text, CaptionSplit Split);
