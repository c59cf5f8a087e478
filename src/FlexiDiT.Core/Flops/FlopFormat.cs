using System.Globalization;

namespace FlexiDiT.Flops;

/// <summary>FLOP counts for people: 2.31 GFLOPs, 0.84 TFLOPs.</summary>
public static class FlopFormat
{
    /// <summary>Formats with the largest unit that keeps the number at or above 1.</summary>
    public static string Format(double flops)
    {
        (double scale, string unit) = Math.Abs(flops) switch
        {
            >= 1e15 => (1e15, "PFLOPs"),
            >= 1e12 => (1e12, "TFLOPs"),
            >= 1e9 => (1e9, "GFLOPs"),
            >= 1e6 => (1e6, "MFLOPs"),
            _ => (1.0, "FLOPs"),
        };
        return string.Create(CultureInfo.InvariantCulture, $"{flops / scale:F2} {unit}");
    }
}
