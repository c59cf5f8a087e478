using FlexiDiT.Models;
using static TorchSharp.torch;

namespace FlexiDiT.Data;

/// <summary>
/// "Shapes": an unlimited, procedurally generated, class-conditional image set. Each 32×32 RGB image
/// shows one shape (circle, square, triangle, cross, ring) in one of eight colours on a plain background
/// that is always clearly distinct from the shape colour. Class = shape × colour (40 classes). Sample i of
/// a seed is always the same image, whichever order samples are drawn in. Classes are uniform unless
/// shape weights say otherwise (training can oversample a shape it learns slowly; colours stay uniform).
/// </summary>
/// <param name="seed">The data set's seed.</param>
/// <param name="shapeWeights">Relative frequency of each shape (a shape left out weighs 1); null: uniform.</param>
public sealed class ShapesDataset(long seed = 0, IReadOnlyDictionary<ShapeKind, double>? shapeWeights = null)
{
    /// <summary>Image side in pixels.</summary>
    public const int ImageSize = 32;
    /// <summary>Number of classes.</summary>
    public static int NumClasses => Enum.GetValues<ShapeKind>().Length * ShapeColor.Palette.Count;
    private const int Supersampling = 4;
    private const float MinBackgroundDistance = 0.5f;

    /// <summary>The data set's seed.</summary>
    public long Seed { get; } = seed;

    private readonly double[]? shapeCumulative = Cumulative(shapeWeights);

    /// <summary>
    /// The DiT that Shapes trains: the official architecture at patch 2 on 32×32 RGB pixels (no VAE), learned
    /// sigma, and a null class dropped in 10 % of the time for classifier-free guidance, as in DiT's train.py.
    /// </summary>
    public static DiTConfig ModelConfig(int depth, int hidden, int? heads) => new()
    {
        InputSize = ImageSize, PatchSize = 2, InChannels = 3, HiddenSize = hidden, Depth = depth, NumHeads = heads,
        NumClasses = NumClasses, LearnSigma = true, ClassDropoutProb = 0.1,
    };

    /// <summary>The class index of a shape and colour.</summary>
    public static int ClassOf(ShapeKind shape, int colorIndex) => (int)shape * ShapeColor.Palette.Count + colorIndex;

    /// <summary>"red circle", "white ring", ...</summary>
    public static string ClassName(int classIndex)
    {
        if (classIndex < 0 || classIndex >= NumClasses) throw new ArgumentOutOfRangeException(nameof(classIndex), $"Shapes has classes 0..{NumClasses - 1}.");
        var shape = (ShapeKind)(classIndex / ShapeColor.Palette.Count);
        return $"{ShapeColor.Palette[classIndex % ShapeColor.Palette.Count].Name} {shape.ToString().ToLowerInvariant()}";
    }

    /// <summary>All 40 class names in class order.</summary>
    public static IReadOnlyList<string> ClassNames { get; } = Enumerable.Range(0, NumClasses).Select(ClassName).ToArray();

    /// <summary>The attributes of sample <paramref name="index"/>, optionally forcing its class.</summary>
    public ShapeAttributes Attributes(long index, int? classIndex = null)
    {
        var random = new Random(MixSeed(Seed, index));
        int cls = classIndex ?? (shapeCumulative is null ? random.Next(NumClasses) : DrawWeighted(random));
        var shape = (ShapeKind)(cls / ShapeColor.Palette.Count);
        int color = cls % ShapeColor.Palette.Count;
        float size = 5f + (float)random.NextDouble() * 6f;
        float margin = size + 1f;
        float cx = margin + (float)random.NextDouble() * (ImageSize - 2 * margin);
        float cy = margin + (float)random.NextDouble() * (ImageSize - 2 * margin);
        var c = ShapeColor.Palette[color];
        (float R, float G, float B) background;
        do
        {
            // Muted backgrounds: a grey level mixed with a random tint.
            float grey = 0.1f + 0.6f * (float)random.NextDouble();
            background = (Mix(grey, random), Mix(grey, random), Mix(grey, random));
        }
        while (ShapeColor.Distance(background.R, background.G, background.B, c.R, c.G, c.B) < MinBackgroundDistance);
        return new ShapeAttributes(shape, color, cx, cy, size, background);
    }

    private int DrawWeighted(Random random)
    {
        double u = random.NextDouble() * shapeCumulative![^1];
        int shape = Array.FindIndex(shapeCumulative, c => u < c);
        return ClassOf((ShapeKind)(shape < 0 ? shapeCumulative.Length - 1 : shape), random.Next(ShapeColor.Palette.Count));
    }

    private static double[]? Cumulative(IReadOnlyDictionary<ShapeKind, double>? weights)
    {
        if (weights is null) return null;
        foreach (var (shape, weight) in weights)
        {
            if (!Enum.IsDefined(shape)) throw new ArgumentOutOfRangeException(nameof(weights), shape, "Not a Shapes shape.");
            if (!(weight >= 0) || double.IsInfinity(weight))
                throw new ArgumentOutOfRangeException(nameof(weights), weight, $"The weight of {shape} must be a finite number ≥ 0.");
        }
        double sum = 0;
        var cumulative = Enum.GetValues<ShapeKind>().Select(s => sum += weights.GetValueOrDefault(s, 1.0)).ToArray();
        if (sum <= 0) throw new ArgumentException("At least one shape needs a weight above 0.", nameof(weights));
        return cumulative;
    }

    private static float Mix(float grey, Random random) => 0.7f * grey + 0.3f * (float)random.NextDouble();

    /// <summary>Renders attributes to CHW floats in [-1, 1] (anti-aliased by 4×4 supersampling).</summary>
    public static float[] Render(ShapeAttributes a)
    {
        var pixels = new float[3 * ImageSize * ImageSize];
        var c = ShapeColor.Palette[a.ColorIndex];
        for (int y = 0; y < ImageSize; y++)
        {
            for (int x = 0; x < ImageSize; x++)
            {
                int hits = 0;
                // Every shape lies within Size of its centre on both axes: pixels beyond that box are background
                // without testing their 16 sub-samples (the same image, about 4× faster for mid-sized shapes).
                bool nearShape = x + 1 >= a.CenterX - a.Size && x <= a.CenterX + a.Size && y + 1 >= a.CenterY - a.Size && y <= a.CenterY + a.Size;
                for (int sy = 0; nearShape && sy < Supersampling; sy++)
                {
                    for (int sx = 0; sx < Supersampling; sx++)
                        if (Inside(a, x + (sx + 0.5f) / Supersampling, y + (sy + 0.5f) / Supersampling)) hits++;
                }

                float coverage = hits / (float)(Supersampling * Supersampling);
                int o = y * ImageSize + x;
                pixels[o] = 2 * (a.Background.R + coverage * (c.R - a.Background.R)) - 1;
                pixels[ImageSize * ImageSize + o] = 2 * (a.Background.G + coverage * (c.G - a.Background.G)) - 1;
                pixels[2 * ImageSize * ImageSize + o] = 2 * (a.Background.B + coverage * (c.B - a.Background.B)) - 1;
            }
        }
        return pixels;
    }

    /// <summary>Whether the point (px, py), in pixel coordinates, lies inside the shape.</summary>
    public static bool Inside(ShapeAttributes a, float px, float py)
    {
        float dx = px - a.CenterX, dy = py - a.CenterY, r = a.Size;
        float distance = MathF.Sqrt(dx * dx + dy * dy);
        switch (a.Shape)
        {
            case ShapeKind.Circle: return distance <= r;
            case ShapeKind.Ring: return distance <= r && distance >= 0.55f * r;
            case ShapeKind.Square: return MathF.Abs(dx) <= 0.85f * r && MathF.Abs(dy) <= 0.85f * r;
            case ShapeKind.Cross:
                float arm = 0.33f * r;
                return (MathF.Abs(dx) <= arm && MathF.Abs(dy) <= r) || (MathF.Abs(dy) <= arm && MathF.Abs(dx) <= r);
            case ShapeKind.Triangle:
                // Apex up at (0, -r); base at y = 0.75 r from -0.95 r to 0.95 r.
                if (dy > 0.75f * r || dy < -r) return false;
                float halfWidth = 0.95f * r * (dy + r) / (1.75f * r);
                return MathF.Abs(dx) <= halfWidth;
            default: return false;
        }
    }

    /// <summary>A batch of samples start..start+count-1: images (N, 3, 32, 32) in [-1, 1], labels (N), attributes.</summary>
    public (Tensor Images, Tensor Labels, ShapeAttributes[] Attributes) Batch(long start, int count, int? classIndex = null)
    {
        var attributes = new ShapeAttributes[count];
        for (int i = 0; i < count; i++) attributes[i] = Attributes(start + i, classIndex);
        var (images, labels) = RenderBatch(attributes);
        return (images, labels, attributes);
    }

    /// <summary>Renders attributes to a batch: images (N, 3, 32, 32) in [-1, 1] and their class labels (N).</summary>
    public static (Tensor Images, Tensor Labels) RenderBatch(IReadOnlyList<ShapeAttributes> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        return (RenderImages(attributes), tensor(attributes.Select(a => (long)a.ClassIndex).ToArray()));
    }

    /// <summary>Renders attributes to images (N, 3, 32, 32) in [-1, 1], one image per worker thread at a time.</summary>
    public static Tensor RenderImages(IReadOnlyList<ShapeAttributes> attributes)
    {
        ArgumentNullException.ThrowIfNull(attributes);
        int count = attributes.Count;
        var data = new float[count * 3 * ImageSize * ImageSize];
        Parallel.For(0, count, i => Render(attributes[i]).CopyTo(data, i * 3 * ImageSize * ImageSize));
        return tensor(data, [count, 3, ImageSize, ImageSize]);
    }

    // SplitMix64 of (seed, index), folded to the 32-bit seed System.Random takes; stable across runs and platforms.
    internal static int MixSeed(long seed, long index)
    {
        ulong z = unchecked((ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)index + 0x632BE59BD9B4E019UL);
        z = unchecked((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL);
        z = unchecked((z ^ (z >> 27)) * 0x94D049BB133111EBUL);
        z ^= z >> 31;
        return unchecked((int)(z ^ (z >> 32)));
    }
}
