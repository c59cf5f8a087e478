using System.Globalization;

namespace FlexiDiT.SemanticKernel;

/// <summary>How amounts read in tool results, instructions and reports, so the model sees one format everywhere.</summary>
internal static class CostText
{
    public static string Credits(decimal credits) =>
        credits.ToString(Math.Abs(credits) >= 1 || credits == 0 ? "0.##" : "0.####", CultureInfo.InvariantCulture);

    public static string Seconds(double? ms) =>
        ms is { } v ? (v / 1000).ToString(v < 10_000 ? "0.0" : "0", CultureInfo.InvariantCulture) + " s" : "unknown time";

    public static string Percent(double fraction) =>
        Math.Round(fraction * 100).ToString("0", CultureInfo.InvariantCulture) + "%";

    public static string Images(int count) => count == 1 ? "1 image" : $"{count} images";

    public static string Utc(DateTimeOffset instant) =>
        instant.ToUniversalTime().ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
}
