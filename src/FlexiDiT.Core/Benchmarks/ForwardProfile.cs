using FlexiDiT.Profiling;

namespace FlexiDiT.Benchmarks;

/// <summary>
/// Where one forward's time goes at one patch size: the mean over the faster half of the profiled forwards (the half
/// least disturbed by other processes), so that the parts, <see cref="ForwardOp.Other"/> included, sum to <see cref="ForwardMs"/>.
/// </summary>
/// <param name="ForwardMs">Mean milliseconds of the forwards the profile averages.</param>
/// <param name="Forwards">How many forwards it averages.</param>
/// <param name="Parts">Every <see cref="ForwardOp"/>, in the order of the enum.</param>
public sealed record ForwardProfile(double ForwardMs, int Forwards, IReadOnlyList<ForwardPart> Parts)
{
    /// <summary>Averages the faster half of <paramref name="forwards"/>: each forward's wall milliseconds and its milliseconds and calls per op.</summary>
    internal static ForwardProfile FromForwards(IReadOnlyList<(double Ms, double[] OpMs, int[] OpCalls)> forwards)
    {
        if (forwards.Count == 0) throw new ArgumentException("No profiled forwards to average.", nameof(forwards));
        var kept = forwards.OrderBy(f => f.Ms).Take((forwards.Count + 1) / 2).ToList();
        double total = kept.Average(f => f.Ms);
        var ops = Enum.GetValues<ForwardOp>();
        var parts = new List<ForwardPart>(ops.Length);
        foreach (var op in ops)
        {
            // Other is what the measured parts leave of each forward; the parts never overlap, so it is not negative.
            double ms = op == ForwardOp.Other
                ? kept.Average(f => f.Ms - f.OpMs.Sum() + f.OpMs[(int)op])
                : kept.Average(f => f.OpMs[(int)op]);
            parts.Add(new ForwardPart(op.ToString(), ms, 100 * ms / total, kept.Average(f => f.OpCalls[(int)op])));
        }
        return new ForwardProfile(total, kept.Count, parts);
    }
}
