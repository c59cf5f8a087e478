using FlexiDiT.Prompts.Captions;

namespace FlexiDiT.Data.Scenes;

/// <summary>
/// Captioned Shapes scenes, the text-to-image world: 32×32 RGB, one object with a shape, a palette colour, a size
/// and a grid position, on a light or dark background of any hue (<see cref="SceneLayout"/>), each attribute uniform
/// and independent. Sample i of a seed is always the same scene and the same caption, whichever order samples are
/// drawn in; the scene does not depend on the caption split, so a held-out caption describes the same image.
/// </summary>
/// <param name="seed">The data set's seed.</param>
public sealed class SceneDataset(long seed = 0)
{
    // Captions draw from their own stream so that the scene of sample i is the same whichever split captions it.
    private const long CaptionStream = 0x5CE7E5CA;

    /// <summary>The data set's seed.</summary>
    public long Seed { get; } = seed;

    /// <summary>The attributes of scene <paramref name="index"/>.</summary>
    public SceneAttributes Scene(long index) => Draw(index).Scene;

    /// <summary>Sample <paramref name="index"/>: scene, drawing and a caption in <paramref name="split"/>.</summary>
    public SceneSample Sample(long index, CaptionSplit split = CaptionSplit.Training)
    {
        var (scene, drawing) = Draw(index);
        var (caption, request) = SceneCaptioner.Caption(scene, new Random(ShapesDataset.MixSeed(Seed ^ CaptionStream, index)), split);
        return new SceneSample(scene, drawing, caption, request);
    }

    /// <summary>Samples start..start+count-1 with their images rendered (on all cores).</summary>
    public SceneBatch Batch(long start, int count, CaptionSplit split = CaptionSplit.Training)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        var samples = new SceneSample[count];
        for (int i = 0; i < count; i++) samples[i] = Sample(start + i, split);
        var images = ShapesDataset.RenderImages(samples.Select(s => s.Drawing).ToArray());
        return new SceneBatch(images, samples.Select(s => s.Caption).ToArray(), samples);
    }

    /// <summary>Renders one scene to CHW floats in [-1, 1].</summary>
    public static float[] Render(SceneSample sample)
    {
        ArgumentNullException.ThrowIfNull(sample);
        return ShapesDataset.Render(sample.Drawing);
    }

    private (SceneAttributes Scene, ShapeAttributes Drawing) Draw(long index)
    {
        var random = new Random(ShapesDataset.MixSeed(Seed, index));
        var scene = SceneAttributes.FromIndices(
            random.Next(SceneAttributes.Cardinality(SceneAttribute.Shape)), random.Next(SceneAttributes.Cardinality(SceneAttribute.Color)),
            random.Next(SceneAttributes.Cardinality(SceneAttribute.Size)), random.Next(SceneAttributes.Cardinality(SceneAttribute.Position)),
            random.Next(SceneAttributes.Cardinality(SceneAttribute.Background)));
        return (scene, SceneLayout.Draw(scene, random));
    }
}
