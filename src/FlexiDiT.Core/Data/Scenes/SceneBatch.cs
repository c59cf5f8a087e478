using static TorchSharp.torch;

namespace FlexiDiT.Data.Scenes;

/// <summary>A batch of captioned scenes.</summary>
/// <param name="Images">(N, 3, 32, 32) float32 in [-1, 1]; the caller owns (disposes) it.</param>
/// <param name="Captions">The N captions.</param>
/// <param name="Samples">The N samples (scene attributes, drawing, caption, named attributes).</param>
public sealed record SceneBatch(Tensor Images, IReadOnlyList<string> Captions, IReadOnlyList<SceneSample> Samples);
