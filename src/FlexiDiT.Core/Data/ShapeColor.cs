namespace FlexiDiT.Data;

/// <summary>A named palette colour, components in [0, 1].</summary>
public sealed record ShapeColor(string Name, float R, float G, float B)
{
    /// <summary>The eight colours of the Shapes data set, in class order.</summary>
    public static IReadOnlyList<ShapeColor> Palette { get; } =
    [
        new("red", 0.90f, 0.10f, 0.10f),
        new("orange", 1.00f, 0.55f, 0.00f),
        new("yellow", 0.95f, 0.90f, 0.10f),
        new("green", 0.10f, 0.70f, 0.20f),
        new("cyan", 0.10f, 0.85f, 0.90f),
        new("blue", 0.15f, 0.25f, 0.95f),
        new("purple", 0.60f, 0.20f, 0.80f),
        new("white", 0.97f, 0.97f, 0.97f),
    ];

    /// <summary>Euclidean distance in RGB.</summary>
    public static float Distance(float r1, float g1, float b1, float r2, float g2, float b2) =>
        MathF.Sqrt((r1 - r2) * (r1 - r2) + (g1 - g2) * (g1 - g2) + (b1 - b2) * (b1 - b2));

    /// <summary>The palette colour nearest to an RGB value.</summary>
    public static int Nearest(float r, float g, float b)
    {
        int best = 0;
        float bestDistance = float.MaxValue;
        for (int i = 0; i < Palette.Count; i++)
        {
            var c = Palette[i];
            float d = Distance(r, g, b, c.R, c.G, c.B);
            if (d < bestDistance) (best, bestDistance) = (i, d);
        }
        return best;
    }
}
