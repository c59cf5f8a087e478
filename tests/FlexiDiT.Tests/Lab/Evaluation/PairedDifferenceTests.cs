using FlexiDiT.Evaluation;
using FlexiDiT.Sampling;

namespace FlexiDiT.Tests.Evaluation;

/// <summary>The paired comparison of a plan's class accuracy with full compute's on the same images.</summary>
public sealed class PairedDifferenceTests
{
    [Fact]
    public void Only_the_images_where_the_two_disagree_move_the_difference_and_its_interval()
    {
        // 100 images: both right on 80, both wrong on 10, only full right on 7, only the plan right on 3.
        string full = new string('1', 80) + new string('0', 10) + new string('1', 7) + new string('0', 3);
        string plan = new string('1', 80) + new string('0', 10) + new string('0', 7) + new string('1', 3);
        var d = PairedDifference.Of(plan, full);
        Assert.Equal(-0.04, d.Difference, 10);
        Assert.Equal((3, 7), (d.OnlyPlanRight, d.OnlyReferenceRight));
        double halfWidth = 1.959964 * Math.Sqrt(10 - 16 / 100.0) / 100;
        Assert.Equal(-0.04 - halfWidth, d.Low, 10);
        Assert.Equal(-0.04 + halfWidth, d.High, 10);
        Assert.Equal("−4.0 pt [−10.1, +2.1]", d.Describe());

        // Identical hits: no difference and no uncertainty, however many images are wrong.
        var same = PairedDifference.Of(plan, plan);
        Assert.Equal((0.0, 0.0, 0.0), (same.Difference, same.Low, same.High));
    }

    [Fact]
    public void Hits_of_different_runs_or_malformed_hits_are_refused()
    {
        Assert.Contains("same non-zero number", Assert.Throws<ArgumentException>(() => PairedDifference.Of("101", "10")).Message);
        Assert.Throws<ArgumentException>(() => PairedDifference.Of("", ""));
        Assert.Contains("only '0' and '1'", Assert.Throws<ArgumentException>(() => PairedDifference.Of("1x1", "111")).Message);
    }

    [Fact]
    public void A_table_compares_every_plan_with_full_and_the_target_check_names_the_cheapest_not_significantly_worse()
    {
        static PlanResult Row(string name, double flops, string? hits) => new()
        {
            Name = name, Description = name, Spec = new PlanSpec { Name = name, Respacing = "40" }, Forwards = new Dictionary<string, int>(),
            FlopsPerImage = flops * 100e9, FlopsFraction = flops, FrechetDistance = 100, ClassAccuracy = hits is null ? 0.9 : hits.Count(c => c == '1') / (double)hits.Length,
            ColorAccuracy = 1, MsPerImage = flops * 1000, ClassHits = hits,
        };
        string fullHits = new string('1', 95) + new string('0', 5);
        var table = new PlanEvaluation
        {
            Model = "m",
            Plans =
            [
                Row("full", 1.0, fullHits),
                Row("cheap-but-worse", 0.3, new string('1', 85) + new string('0', 15)),          // 10 images lost, none gained
                Row("noisy", 0.45, new string('1', 93) + new string('0', 5) + "11"),             // −2 +2 of the 100
                Row("old-table", 0.2, null),                                                     // measured before per-image hits
            ],
        }.WithClassVsFull();
        Assert.Equal(0.0, table.Plans[0].ClassVsFull!.Difference);
        Assert.True(table.Plans[1].ClassVsFull!.High < 0);
        Assert.Null(table.Plans[3].ClassVsFull);

        var check = new QualityTargets().Check(table);
        Assert.Equal("noisy", check.NotSignificantlyWorse!.Name);
        Assert.Contains("`noisy` at 45.0 %: 0.0 pt [", check.Markdown());

        // Without the noisy plan, the one cheap plan is significantly worse; without cheap plans, nothing is claimed.
        var worse = new QualityTargets().Check(table with { Plans = table.Plans.Where(p => p.Name != "noisy").ToList() });
        Assert.Contains("all 1 plans at ≤ 50 % of the FLOPs within the FD bound are significantly below", worse.Markdown());
        var alone = new QualityTargets().Check(table with { Plans = [table.Plans[0]] });
        Assert.Contains("no plan at ≤ 50 % of the FLOPs within the FD bound has per-image hits", alone.Markdown());
    }
}
