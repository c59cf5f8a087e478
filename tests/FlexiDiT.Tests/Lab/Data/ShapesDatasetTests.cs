using FlexiDiT.Data;
using FlexiDiT.Evaluation;

namespace FlexiDiT.Tests.Data;

/// <summary>The Shapes generator: deterministic, 40 named classes, images that show their attributes.</summary>
public class ShapesDatasetTests
{
    [Fact]
    public void Same_seed_and_index_give_the_same_image_in_any_order()
    {
        var data = new ShapesDataset(7);
        var (a, la, _) = data.Batch(100, 4);
        var (b, lb, _) = new ShapesDataset(7).Batch(102, 2);
        Assert.True(a.narrow(0, 2, 2).equal(b).all().item<bool>());
        Assert.Equal(la.data<long>().ToArray()[2..], lb.data<long>().ToArray());
        var (c, _, _) = new ShapesDataset(8).Batch(100, 4);
        Assert.False(a.equal(c).all().item<bool>());
    }

    [Fact]
    public void There_are_forty_classes_named_colour_then_shape()
    {
        Assert.Equal(40, ShapesDataset.NumClasses);
        Assert.Equal("red circle", ShapesDataset.ClassName(0));
        Assert.Equal("white ring", ShapesDataset.ClassName(39));
        Assert.Equal(40, ShapesDataset.ClassNames.Distinct().Count());
        Assert.Equal(ShapesDataset.ClassOf(ShapeKind.Cross, 5), ShapesDataset.ClassNames.ToList().IndexOf("blue cross"));
    }

    [Fact]
    public void Images_are_in_range_and_show_their_attributes()
    {
        var (images, labels, attributes) = new ShapesDataset(3).Batch(0, 200);
        Assert.Equal(new long[] { 200, 3, 32, 32 }, images.shape);
        Assert.True(images.min().item<float>() >= -1f && images.max().item<float>() <= 1f);
        float[] pixels = images.data<float>().ToArray();
        for (int i = 0; i < 200; i++)
        {
            var a = attributes[i];
            Assert.Equal(a.ClassIndex, labels[i].item<long>());
            // The centre pixel of a filled shape has the shape's colour; a corner has the background's.
            var color = ShapeColor.Palette[a.ColorIndex];
            float Pixel(int c, int x, int y) => (pixels[i * 3072 + c * 1024 + y * 32 + x] + 1) / 2;
            if (a.Shape is not ShapeKind.Ring)
            {
                int cx = (int)a.CenterX, cy = (int)(a.Shape == ShapeKind.Triangle ? a.CenterY + a.Size * 0.3f : a.CenterY);
                if (ShapesDataset.Inside(a, cx, cy) && ShapesDataset.Inside(a, cx + 1, cy + 1))
                    Assert.Equal(color.R, Pixel(0, cx, cy), 2);
            }
            var corner = (Pixel(0, 0, 0), Pixel(1, 0, 0), Pixel(2, 0, 0));
            Assert.Equal(a.Background.R, corner.Item1, 2);
            Assert.True(ShapeColor.Distance(a.Background.R, a.Background.G, a.Background.B, color.R, color.G, color.B) >= 0.5f);
        }
    }

    [Fact]
    public void Every_class_is_drawn_and_a_class_can_be_forced()
    {
        var (_, labels, _) = new ShapesDataset(1).Batch(0, 2000);
        Assert.Equal(40, labels.data<long>().ToArray().Distinct().Count());
        var (_, forced, attrs) = new ShapesDataset(1).Batch(0, 10, classIndex: 17);
        Assert.All(forced.data<long>().ToArray(), l => Assert.Equal(17, l));
        Assert.All(attrs, a => Assert.Equal(ShapeKind.Triangle, a.Shape));
    }

    [Fact]
    public void Shape_weights_change_how_often_a_shape_is_drawn_and_nothing_else()
    {
        var weighted = new ShapesDataset(5, new Dictionary<ShapeKind, double> { [ShapeKind.Cross] = 3, [ShapeKind.Circle] = 0 });
        var drawn = Enumerable.Range(0, 4000).Select(i => weighted.Attributes(i)).ToArray();
        // Cross 3 / (0 + 1 + 1 + 3 + 1) = 1/2; the other three shapes 1/6 each; no circle.
        Assert.DoesNotContain(drawn, a => a.Shape == ShapeKind.Circle);
        Assert.InRange(drawn.Count(a => a.Shape == ShapeKind.Cross) / 4000.0, 0.47, 0.53);
        foreach (var shape in new[] { ShapeKind.Square, ShapeKind.Triangle, ShapeKind.Ring })
            Assert.InRange(drawn.Count(a => a.Shape == shape) / 4000.0, 0.14, 0.19);
        // Colours stay uniform within a shape.
        var crossColours = drawn.Where(a => a.Shape == ShapeKind.Cross).GroupBy(a => a.ColorIndex).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(8, crossColours.Count);
        Assert.All(crossColours.Values, n => Assert.InRange(n, 180, 320));
        // Deterministic, and a forced class still wins.
        Assert.Equal(drawn[17], new ShapesDataset(5, new Dictionary<ShapeKind, double> { [ShapeKind.Cross] = 3, [ShapeKind.Circle] = 0 }).Attributes(17));
        Assert.Equal(ShapeKind.Circle, weighted.Attributes(3, classIndex: ShapesDataset.ClassOf(ShapeKind.Circle, 2)).Shape);
    }

    [Fact]
    public void Shape_weights_that_draw_nothing_are_refused_with_the_shape_named()
    {
        var negative = Assert.Throws<ArgumentOutOfRangeException>(() => new ShapesDataset(0, new Dictionary<ShapeKind, double> { [ShapeKind.Ring] = -1 }));
        Assert.Contains("Ring", negative.Message);
        var none = Enum.GetValues<ShapeKind>().ToDictionary(s => s, _ => 0.0);
        Assert.Throws<ArgumentException>(() => new ShapesDataset(0, none));
    }

    [Fact]
    public void The_colour_detector_reads_real_images_correctly()
    {
        var (images, _, attributes) = new ShapesDataset(11).Batch(0, 400);
        float[] pixels = images.data<float>().ToArray();
        int correct = Enumerable.Range(0, 400).Count(i => ColorDetector.Detect(pixels[(i * 3072)..((i + 1) * 3072)], 32) == attributes[i].ColorIndex);
        Assert.True(correct >= 396, $"detector got {correct}/400 real images right");
    }

    [Fact]
    public void The_colour_detector_finds_no_shape_in_a_plain_image()
    {
        Assert.Equal(-1, ColorDetector.Detect(Enumerable.Repeat(0.2f, 3072).ToArray(), 32));
    }
    [Fact]
    public void Rendering_only_near_the_shape_gives_the_image_every_sub_sample_would()
    {
        // Render skips pixels outside the shape's box; the images must be those of testing all 16 sub-samples everywhere.
        var data = new ShapesDataset(9);
        for (int n = 0; n < 40; n++)
        {
            var a = data.Attributes(n);
            float[] rendered = ShapesDataset.Render(a);
            var color = ShapeColor.Palette[a.ColorIndex];
            for (int p = 0; p < 1024; p++)
            {
                int hits = 0;
                for (int sy = 0; sy < 4; sy++)
                {
                    for (int sx = 0; sx < 4; sx++)
                        if (ShapesDataset.Inside(a, p % 32 + (sx + 0.5f) / 4, p / 32 + (sy + 0.5f) / 4)) hits++;
                }

                Assert.Equal(2 * (a.Background.R + hits / 16f * (color.R - a.Background.R)) - 1, rendered[p]);
            }
        }
    }
}
