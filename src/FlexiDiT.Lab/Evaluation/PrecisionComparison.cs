using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;

namespace FlexiDiT.Evaluation;

/// <summary>
/// One plan evaluated twice on the same images (same classes, same seeds): once at float32, the reference, and once at
/// a reduced precision (bfloat16). Pairing image by image is what makes the accuracy difference's interval narrow
/// enough to say "within noise" from a few hundred images.
/// </summary>
/// <param name="Plan">The plan's name.</param>
/// <param name="Float32">The float32 row.</param>
/// <param name="Reduced">The reduced-precision row.</param>
/// <param name="ClassAccuracy">Reduced minus float32 class accuracy, with its paired 95 % interval.</param>
public sealed record PrecisionComparison(
    [property: JsonPropertyName("plan")] string Plan,
    [property: JsonPropertyName("float32")] PlanResult Float32,
    [property: JsonPropertyName("reduced")] PlanResult Reduced,
    [property: JsonPropertyName("classAccuracy")] PairedDifference ClassAccuracy)
{
    /// <summary>Reduced-precision FD over float32 FD (1: the same distribution distance); null where either is missing.</summary>
    [JsonPropertyName("frechetRatio")]
    public double? FrechetRatio => Reduced.FrechetDistance is { } r && Float32.FrechetDistance is { } f && f > 0 ? r / f : null;

    /// <summary>How many times faster the reduced precision sampled (float32 ms per image over reduced ms per image).</summary>
    [JsonPropertyName("speedUp")]
    public double SpeedUp => Reduced.MsPerImage > 0 ? Float32.MsPerImage / Reduced.MsPerImage : double.NaN;

    /// <summary>Pairs the rows of two evaluations of the same plans on the same images, plan by plan (by name).</summary>
    /// <exception cref="ArgumentException">A plan is missing from one side, or a row has no per-image hits, or the sides saw different numbers of images.</exception>
    public static IReadOnlyList<PrecisionComparison> Pair(IReadOnlyList<PlanResult> float32, IReadOnlyList<PlanResult> reduced)
    {
        ArgumentNullException.ThrowIfNull(float32);
        ArgumentNullException.ThrowIfNull(reduced);
        var byName = float32.ToDictionary(r => r.Name);
        var missing = reduced.Select(r => r.Name).Except(byName.Keys).Concat(byName.Keys.Except(reduced.Select(r => r.Name))).ToArray();
        if (missing.Length > 0)
            throw new ArgumentException($"Both precisions must evaluate the same plans; only one side has: {string.Join(", ", missing)}.", nameof(reduced));
        return reduced.Select(r =>
        {
            var f = byName[r.Name];
            if (f.ClassHits is null || r.ClassHits is null)
                throw new ArgumentException($"Plan {r.Name} has no per-image hits to pair; evaluate both precisions with this version of 'flexidit eval'.", nameof(reduced));
            return new PrecisionComparison(r.Name, f, r, PairedDifference.Of(r.ClassHits, f.ClassHits));
        }).ToList();
    }

    /// <summary>A markdown table of the comparisons, under a line naming the reduced precision.</summary>
    public static string Markdown(IReadOnlyList<PrecisionComparison> rows, string reducedName)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentException.ThrowIfNullOrWhiteSpace(reducedName);
        static string Pct(double? v) => v is { } x ? (x * 100).ToString("0.0", CultureInfo.InvariantCulture) + " %" : "–";
        static string Num(double? v, string format) => v is { } x ? x.ToString(format, CultureInfo.InvariantCulture) : "–";
        var s = new StringBuilder();
        s.AppendLine($"{reducedName} against float32, the same images (classes and seeds), each plan sampled in both precisions in this run:");
        s.AppendLine();
        s.AppendLine($"| plan | class float32 | class {reducedName} | {reducedName} − float32 (paired 95 %) | FD float32 | FD {reducedName} | FD ratio | ms/img float32 | ms/img {reducedName} | speed-up |");
        s.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var c in rows)
        {
            s.AppendLine($"| {c.Plan} | {Pct(c.Float32.ClassAccuracy)} | {Pct(c.Reduced.ClassAccuracy)} | {c.ClassAccuracy.Describe()} | " +
                $"{Num(c.Float32.FrechetDistance, "F3")} | {Num(c.Reduced.FrechetDistance, "F3")} | {Num(c.FrechetRatio, "F3")} | " +
                $"{Num(c.Float32.MsPerImage, "F0")} | {Num(c.Reduced.MsPerImage, "F0")} | {Num(c.SpeedUp, "F2")}× |");
        }
        return s.ToString();
    }
}
