using FlexiDiT.Prompts.Captions;

namespace FlexiDiT.Data.Scenes;

/// <summary>One training example: the scene, how it is drawn, and a caption of it.</summary>
/// <param name="Scene">Every attribute of the scene (those the caption leaves out were drawn at random).</param>
/// <param name="Drawing">The geometry and background it is rendered from.</param>
/// <param name="Caption">A caption in the requested <see cref="CaptionSplit"/>.</param>
/// <param name="Request">The attributes the caption names.</param>
public sealed record SceneSample(SceneAttributes Scene, ShapeAttributes Drawing, string Caption, SceneRequest Request);
