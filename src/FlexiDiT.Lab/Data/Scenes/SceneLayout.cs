namespace FlexiDiT.Data.Scenes;

/// <summary>
/// Turns scene attributes into a drawing (<see cref="ShapeAttributes"/>, rendered by <see cref="ShapesDataset.Render"/>).
/// Sizes and positions are chosen so a viewer cannot confuse them: radius ranges with gaps between sizes (whatever the
/// shape, the largest small object covers fewer pixels than the smallest medium one), object
/// centres jittered by at most <see cref="Jitter"/> pixels around the middle of their grid cell, and a background that
/// is always at least <see cref="MinContrast"/> away from the object's colour.
/// </summary>
public static class SceneLayout
{
    /// <summary>The most an object's centre moves from its cell's centre, in pixels on each axis.</summary>
    public const float Jitter = 0.6f;
    /// <summary>The smallest RGB distance between object colour and background.</summary>
    public const float MinContrast = 0.5f;
    // Centres of the three columns (and rows): inset from the thirds (5.3, 16, 26.7) so large objects stay inside.
    private static readonly float[] Lines = [7.5f, 16f, 24.5f];
    private const int MaxBackgroundTries = 10_000;

    /// <summary>The radius range (pixels, before the per-shape extent scaling) of a size.</summary>
    public static (float Min, float Max) RadiusRange(SceneSize size) => size switch
    {
        SceneSize.Small => (2.9f, 3.3f),
        SceneSize.Medium => (4.3f, 4.7f),
        SceneSize.Large => (5.9f, 6.3f),
        _ => throw new ArgumentOutOfRangeException(nameof(size), size, "Not a scene size."),
    };

    /// <summary>The cell centre of a position, in pixels (x = column, y = row).</summary>
    public static (float X, float Y) CellCenter(ScenePosition position)
    {
        int cell = (int)position;
        if (cell < 0 || cell > 8) throw new ArgumentOutOfRangeException(nameof(position), position, "Not a scene position.");
        return (Lines[cell % 3], Lines[cell / 3]);
    }

    /// <summary>The grid cell (thirds of the image) that contains a point in pixels.</summary>
    public static ScenePosition CellOf(float x, float y)
    {
        int Third(float v) => Math.Clamp((int)(v * 3 / ShapesDataset.ImageSize), 0, 2);
        return (ScenePosition)(Third(y) * 3 + Third(x));
    }

    /// <summary>Draws the geometry and background of a scene from <paramref name="random"/>.</summary>
    public static ShapeAttributes Draw(SceneAttributes scene, Random random)
    {
        ArgumentNullException.ThrowIfNull(scene);
        ArgumentNullException.ThrowIfNull(random);
        var (min, max) = RadiusRange(scene.Size);
        float radius = (min + (float)random.NextDouble() * (max - min)) * ExtentScale(scene.Shape);
        var (cx, cy) = CellCenter(scene.Position);
        cx += Jitter * (2 * (float)random.NextDouble() - 1);
        cy += Jitter * (2 * (float)random.NextDouble() - 1);
        // ShapesDataset's triangle spans -r..0.75r vertically: centre its box on the cell.
        if (scene.Shape == ShapeKind.Triangle) cy += 0.125f * radius;
        return new ShapeAttributes(scene.Shape, scene.ColorIndex, cx, cy, radius, Background(scene.Background, ShapeColor.Palette[scene.ColorIndex], random));
    }

    // ShapesDataset's triangle is 1.75 r tall and covers half a circle's area; scaled to the circle's height it covers
    // 2.2 r², like the cross and the ring, against 2.9 r² (square) and 3.1 r² (circle). Within that 1.45× spread the
    // radius ranges keep every small object below every medium one in area, and every medium one below every large one.
    private static float ExtentScale(ShapeKind shape) => shape == ShapeKind.Triangle ? 2 / 1.75f : 1f;

    private static (float R, float G, float B) Background(SceneBackground brightness, ShapeColor color, Random random)
    {
        var (low, high, tint) = brightness == SceneBackground.Light ? (0.62f, 0.85f, 0.8f) : (0.05f, 0.28f, 0.4f);
        for (int attempt = 0; attempt < MaxBackgroundTries; attempt++)
        {
            // A brightness level plus a random hue: channel offsets with zero mean keep the level.
            float level = low + (float)random.NextDouble() * (high - low);
            float u = (float)random.NextDouble(), v = (float)random.NextDouble(), w = (float)random.NextDouble();
            float mean = (u + v + w) / 3;
            float r = Math.Clamp(level + tint * (u - mean), 0, 1);
            float g = Math.Clamp(level + tint * (v - mean), 0, 1);
            float b = Math.Clamp(level + tint * (w - mean), 0, 1);
            if (ShapeColor.Distance(r, g, b, color.R, color.G, color.B) >= MinContrast) return (r, g, b);
        }
        throw new InvalidOperationException($"No {brightness} background contrasts with {color.Name}; the palette or the brightness ranges are wrong.");
    }
}
