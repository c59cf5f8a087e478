using FlexiDiT.Data;

namespace FlexiDiT.Evaluation;

/// <summary>
/// A hand-written judge of the shape's colour, independent of any learned model: the background is the
/// median of the border pixels; foreground pixels differ from it clearly; the colour is the palette entry
/// nearest to the foreground's median.
/// </summary>
public static class ColorDetector
{
    private const float ForegroundDistance = 0.3f;
    private const int MinForegroundPixels = 6;

    /// <summary>The palette index of the shape in a CHW image in [-1, 1], or -1 when no shape stands out.</summary>
    public static int Detect(float[] chw, int size)
    {
        int plane = size * size;
        float Channel(int c, int i) => Math.Clamp((chw[c * plane + i] + 1) / 2, 0, 1);
        var border = new List<(float R, float G, float B)>();
        for (int y = 0; y < size; y++)
        {
            for (int x = 0; x < size; x++)
            {
                if (x == 0 || y == 0 || x == size - 1 || y == size - 1)
                    border.Add((Channel(0, y * size + x), Channel(1, y * size + x), Channel(2, y * size + x)));
            }
        }

        float bgR = Median(border.Select(p => p.R)), bgG = Median(border.Select(p => p.G)), bgB = Median(border.Select(p => p.B));

        var rs = new List<float>();
        var gs = new List<float>();
        var bs = new List<float>();
        for (int i = 0; i < plane; i++)
        {
            float r = Channel(0, i), g = Channel(1, i), b = Channel(2, i);
            if (ShapeColor.Distance(r, g, b, bgR, bgG, bgB) < ForegroundDistance) continue;
            rs.Add(r);
            gs.Add(g);
            bs.Add(b);
        }
        return rs.Count < MinForegroundPixels ? -1 : ShapeColor.Nearest(Median(rs), Median(gs), Median(bs));
    }

    private static float Median(IEnumerable<float> values)
    {
        var sorted = values.OrderBy(v => v).ToArray();
        return sorted[sorted.Length / 2];
    }
}
