using FlexiDiT.Evaluation;
using FlexiDiT.Sampling;

namespace FlexiDiT.Tests.Evaluation;

/// <summary>`eval --paired-float32`: a reduced precision's rows are judged against float32's on the same images.</summary>
public sealed class PrecisionComparisonTests
{
    [Fact]
    public void Rows_pair_by_plan_name_and_report_the_paired_difference_fd_ratio_and_speed_up()
    {
        var float32 = new[] { Row("full", "1101", fd: 10, ms: 1500), Row("weak50", "1100", fd: 12, ms: 900) };
        var bfloat16 = new[] { Row("weak50", "1110", fd: 13.2, ms: 600), Row("full", "1101", fd: 9, ms: 1000) };

        var pairs = PrecisionComparison.Pair(float32, bfloat16);

        Assert.Equal(["weak50", "full"], pairs.Select(p => p.Plan));
        var weak = pairs[0];
        Assert.Equal((1, 0), (weak.ClassAccuracy.OnlyPlanRight, weak.ClassAccuracy.OnlyReferenceRight));
        Assert.Equal(0.25, weak.ClassAccuracy.Difference, 10);
        Assert.Equal(1.1, weak.FrechetRatio!.Value, 10);
        Assert.Equal(1.5, weak.SpeedUp, 10);
        Assert.Equal(0.0, pairs[1].ClassAccuracy.Difference);
        string markdown = PrecisionComparison.Markdown(pairs, "bfloat16");
        Assert.Contains("| full | 75.0 % | 75.0 % | 0.0 pt [0.0, 0.0] | 10.000 | 9.000 | 0.900 | 1500 | 1000 | 1.50× |", markdown);
    }

    [Fact]
    public void Different_plans_or_rows_without_hits_are_refused_naming_the_problem()
    {
        var float32 = new[] { Row("full", "11", fd: 1, ms: 1) };

        var missing = Assert.Throws<ArgumentException>(() => PrecisionComparison.Pair(float32, [Row("weak50", "11", fd: 1, ms: 1)]));
        Assert.Contains("weak50", missing.Message);
        Assert.Contains("full", missing.Message);
        var noHits = Assert.Throws<ArgumentException>(() => PrecisionComparison.Pair(float32, [Row("full", null, fd: 1, ms: 1)]));
        Assert.Contains("no per-image hits", noHits.Message);
        Assert.Throws<ArgumentException>(() => PrecisionComparison.Pair(float32, [Row("full", "111", fd: 1, ms: 1)]));
    }

    private static PlanResult Row(string name, string? hits, double fd, double ms)
    {
        var spec = new PlanSpec { Name = name, Respacing = "50", GuidanceScale = 4 };
        return new PlanResult
        {
            Name = name, Description = spec.Describe(), Spec = spec, Forwards = new Dictionary<string, int>(),
            ClassHits = hits, ClassAccuracy = hits is null ? null : hits.Count(c => c == '1') / (double)hits.Length,
            FrechetDistance = fd, MsPerImage = ms,
        };
    }
}
