using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Data.Scenes;

/// <summary>A batch of captioned scenes.</summary>
/// <param name="Images">(N, 3, 32, 32) float32 in [-1, 1]; the caller owns (disposes) it.</param>
/// <param name="Captions">The N captions.</param>
/// <param name="Samples">The N samples (scene attributes, drawing, caption, named attributes).</param>
public sealed record SceneBatch(Tensor Images, IReadOnlyList<string> Captions, IReadOnlyList<SceneSample> Samples)
{
    /// <summary>
    /// (N, 1, 32, 32) float32: 1 where a pixel differs from its scene's plain background (the object and its
    /// anti-aliased edge), 0 elsewhere.
    /// </summary>
    public Tensor ObjectMask()
    {
        var background = torch.tensor(Samples.SelectMany(s => new[] { s.Drawing.Background.R, s.Drawing.Background.G, s.Drawing.Background.B }).ToArray(),
            [Samples.Count, 3, 1, 1]) * 2 - 1;
        return (Images - background).abs().amax([1], keepdim: true).gt(0.5 / 255).to(ScalarType.Float32);
    }
}
