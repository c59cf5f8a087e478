using FlexiDiT.Data;
using FlexiDiT.Data.Scenes;
using FlexiDiT.Prompts.Captions;

namespace FlexiDiT.Tests.Data.Scenes;

/// <summary>The captioned scene world: deterministic, uniform, and its pictures show what their attributes say.</summary>
public class SceneDatasetTests
{
    private const int Plane = ShapesDataset.ImageSize * ShapesDataset.ImageSize;

    [Fact]
    public void Same_seed_and_index_give_the_same_scene_caption_and_pixels_in_any_order()
    {
        var a = new SceneDataset(7).Batch(100, 6);
        var b = new SceneDataset(7).Batch(103, 2);
        using (a.Images)
        using (b.Images)
        {
            Assert.True(a.Images.narrow(0, 3, 2).equal(b.Images).all().item<bool>());
            Assert.Equal(a.Captions.Skip(3).Take(2), b.Captions);
            Assert.Equal(a.Samples.Skip(3).Take(2), b.Samples);
        }
        Assert.NotEqual(new SceneDataset(8).Sample(100), new SceneDataset(7).Sample(100));
    }

    [Fact]
    public void A_held_out_caption_describes_the_same_scene_as_the_training_caption()
    {
        var data = new SceneDataset(5);
        for (int i = 0; i < 50; i++)
        {
            var training = data.Sample(i);
            var heldOut = data.Sample(i, CaptionSplit.HeldOut);
            Assert.Equal(training.Scene, heldOut.Scene);
            Assert.Equal(training.Drawing, heldOut.Drawing);
            Assert.True(heldOut.Request.IsMetBy(heldOut.Scene));
        }
    }

    [Fact]
    public void Every_attribute_value_is_about_equally_frequent()
    {
        var data = new SceneDataset(11);
        const int n = 9000;
        var scenes = Enumerable.Range(0, n).Select(i => data.Scene(i)).ToArray();
        foreach (var attribute in Enum.GetValues<SceneAttribute>())
        {
            int k = SceneAttributes.Cardinality(attribute);
            var counts = scenes.GroupBy(s => s[attribute]).ToDictionary(g => g.Key, g => g.Count());
            Assert.Equal(k, counts.Count);
            // Expected n/k each; ±25 % is more than 6 standard deviations for the rarest attribute value.
            Assert.All(counts.Values, c => Assert.InRange(c, 0.75 * n / k, 1.25 * n / k));
        }
    }

    [Fact]
    public void Pictures_show_their_position_size_colour_and_background()
    {
        var batch = new SceneDataset(3).Batch(0, 600);
        float[] pixels;
        using (batch.Images)
        {
            Assert.Equal(new long[] { 600, 3, 32, 32 }, batch.Images.shape);
            Assert.True(batch.Images.min().item<float>() >= -1f && batch.Images.max().item<float>() <= 1f);
            pixels = batch.Images.data<float>().ToArray();
        }
        var areas = new Dictionary<SceneSize, List<double>> { [SceneSize.Small] = [], [SceneSize.Medium] = [], [SceneSize.Large] = [] };
        for (int i = 0; i < 600; i++)
        {
            var sample = batch.Samples[i];
            var chw = pixels.AsSpan(i * 3 * Plane, 3 * Plane).ToArray();
            var (coverage, area) = Coverage(chw, sample.Drawing);
            double cx = 0, cy = 0;
            for (int p = 0; p < Plane; p++)
            {
                cx += coverage[p] * (p % 32 + 0.5);
                cy += coverage[p] * (p / 32 + 0.5);
            }
            Assert.True(SceneLayout.CellOf((float)(cx / area), (float)(cy / area)) == sample.Scene.Position,
                $"scene {i} ({sample.Scene}): object centroid ({cx / area:F1}, {cy / area:F1}) is outside its cell");
            areas[sample.Scene.Size].Add(area);
            // The pixel least like the background (the object's core) is nearest to the named palette colour.
            var (br, bg, bb) = sample.Drawing.Background;
            int core = Enumerable.Range(0, Plane).MaxBy(p => ShapeColor.Distance(Rgb(chw, p, 0), Rgb(chw, p, 1), Rgb(chw, p, 2), br, bg, bb));
            Assert.Equal(sample.Scene.ColorIndex, ShapeColor.Nearest(Rgb(chw, core, 0), Rgb(chw, core, 1), Rgb(chw, core, 2)));

            // The background (the image's border, where objects barely reach) is light or dark as the scene says.
            var border = Enumerable.Range(0, Plane).Where(p => p % 32 is 0 or 31 || p / 32 is 0 or 31)
                .Select(p => (chw[p] + chw[Plane + p] + chw[2 * Plane + p]) / 6 + 0.5).Order().ToArray();
            Assert.Equal(sample.Scene.Background == SceneBackground.Light, border[border.Length / 2] > 0.5);
            var (r, g, b) = sample.Drawing.Background;
            var color = ShapeColor.Palette[sample.Scene.ColorIndex];
            Assert.True(ShapeColor.Distance(r, g, b, color.R, color.G, color.B) >= SceneLayout.MinContrast);
        }
        // Whatever the shape, the largest small object covers fewer pixels than the smallest medium one, and so on.
        Assert.True(areas[SceneSize.Small].Max() < areas[SceneSize.Medium].Min(), $"small up to {areas[SceneSize.Small].Max():F1} px, medium from {areas[SceneSize.Medium].Min():F1} px");
        Assert.True(areas[SceneSize.Medium].Max() < areas[SceneSize.Large].Min(), $"medium up to {areas[SceneSize.Medium].Max():F1} px, large from {areas[SceneSize.Large].Min():F1} px");
    }

    [Fact]
    public void Every_colour_can_be_drawn_on_both_backgrounds()
    {
        var random = new Random(1);
        for (int color = 0; color < ShapeColor.Palette.Count; color++)
        {
            foreach (var background in Enum.GetValues<SceneBackground>())
            {
                var drawing = SceneLayout.Draw(new SceneAttributes(ShapeKind.Circle, color, SceneSize.Medium, ScenePosition.Center, background), random);
                var (r, g, b) = drawing.Background;
                Assert.Equal(background == SceneBackground.Light, (r + g + b) / 3 > 0.5f);
            }
        }
    }

    private static float Rgb(float[] chw, int pixel, int channel) => (chw[channel * Plane + pixel] + 1) / 2;

    // Per pixel, how much of it the object covers, measured from the pixels (in the channel where object and background differ most).
    private static (double[] Coverage, double Area) Coverage(float[] chw, ShapeAttributes drawing)
    {
        var color = ShapeColor.Palette[drawing.ColorIndex];
        float[] target = [color.R, color.G, color.B];
        float[] background = [drawing.Background.R, drawing.Background.G, drawing.Background.B];
        int c = Enumerable.Range(0, 3).MaxBy(k => Math.Abs(target[k] - background[k]));
        var coverage = new double[Plane];
        for (int p = 0; p < Plane; p++) coverage[p] = Math.Clamp(((chw[c * Plane + p] + 1) / 2 - background[c]) / (target[c] - background[c]), 0, 1);
        return (coverage, coverage.Sum());
    }
}
