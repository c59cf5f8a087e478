using System.Text.Json.Serialization;

namespace FlexiDiT.Evaluation;

/// <summary>
/// How much a plan's accuracy differs from full compute's on the same images (same classes, same seeds), with a
/// 95 % confidence interval. Pairing matters: only the images where exactly one of the two is right carry
/// information, so the interval is much narrower than two independent accuracies' would be.
/// </summary>
/// <param name="Difference">Plan accuracy minus reference accuracy (fraction; negative: the plan is worse).</param>
/// <param name="Low">Lower end of the 95 % interval.</param>
/// <param name="High">Upper end of the 95 % interval.</param>
/// <param name="OnlyPlanRight">Images the plan gets right and the reference wrong.</param>
/// <param name="OnlyReferenceRight">Images the reference gets right and the plan wrong.</param>
public sealed record PairedDifference(
    [property: JsonPropertyName("difference")] double Difference,
    [property: JsonPropertyName("low")] double Low,
    [property: JsonPropertyName("high")] double High,
    [property: JsonPropertyName("onlyPlanRight")] int OnlyPlanRight,
    [property: JsonPropertyName("onlyReferenceRight")] int OnlyReferenceRight)
{
    private const double Z95 = 1.959964;

    /// <summary>
    /// The paired difference of two per-image hit strings ('1' right, '0' wrong) of the same length. The interval is
    /// the normal approximation for a difference of paired proportions: variance (b + c − (b − c)²/n) / n², with b and
    /// c the discordant counts.
    /// </summary>
    /// <exception cref="ArgumentException">The hit strings are empty, differ in length or hold other characters.</exception>
    public static PairedDifference Of(string planHits, string referenceHits)
    {
        ArgumentNullException.ThrowIfNull(planHits);
        ArgumentNullException.ThrowIfNull(referenceHits);
        if (planHits.Length == 0 || planHits.Length != referenceHits.Length)
            throw new ArgumentException($"Paired hits need the same non-zero number of images (got {planHits.Length} and {referenceHits.Length}); evaluate both plans in one run.");
        int b = 0, c = 0;
        for (int i = 0; i < planHits.Length; i++)
        {
            bool plan = Hit(planHits[i]), reference = Hit(referenceHits[i]);
            if (plan && !reference) b++;
            if (reference && !plan) c++;
        }
        double n = planHits.Length, d = (b - c) / n;
        double halfWidth = Z95 * Math.Sqrt(Math.Max(b + c - (b - c) * (b - c) / n, 0)) / n;
        return new PairedDifference(d, d - halfWidth, d + halfWidth, b, c);
    }

    /// <summary>The difference and its interval in signed points, e.g. <c>−1.2 pt [−3.1, +0.7]</c>.</summary>
    public string Describe() => $"{Points(Difference)} pt [{Points(Low)}, {Points(High)}]";

    private static string Points(double fraction) => (fraction * 100).ToString("+0.0;−0.0;0.0", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Per-image hits as the string <see cref="Of"/> reads.</summary>
    public static string Encode(IEnumerable<bool> hits) => string.Concat(hits.Select(h => h ? '1' : '0'));

    private static bool Hit(char c) => c switch
    {
        '1' => true,
        '0' => false,
        _ => throw new ArgumentException($"A hit string holds only '0' and '1', not '{c}'."),
    };
}
