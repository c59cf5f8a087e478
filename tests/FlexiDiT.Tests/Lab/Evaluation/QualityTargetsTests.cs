using FlexiDiT.Evaluation;
using FlexiDiT.Sampling;

namespace FlexiDiT.Tests.Evaluation;

/// <summary>The target check the model card and <c>flexidit eval</c> print, and the pack's default-plan rule.</summary>
public sealed class QualityTargetsTests
{
    private static PlanResult Row(string name, double flops, double fd, double cls, double color, double ms) => new()
    {
        Name = name, Description = name, Spec = new PlanSpec { Name = name, Respacing = "40" }, Forwards = new Dictionary<string, int>(),
        FlopsPerImage = flops * 100e9, FlopsFraction = flops, FrechetDistance = fd, ClassAccuracy = cls, ColorAccuracy = color, MsPerImage = ms,
    };

    private static PlanEvaluation Table(params PlanResult[] rows) => new() { Model = "m", Plans = rows };

    [Fact]
    public void The_cheapest_plan_that_keeps_full_quality_is_chosen_and_its_time_saving_compared_with_its_flops_saving()
    {
        var table = Table(
            Row("full", 1.0, 100, 0.98, 0.99, 1000),
            Row("weak50", 0.6, 101, 0.98, 0.99, 640),
            Row("weak70-g0-wg", 0.4, 104, 0.975, 0.985, 450),  // within 5 % FD and 1 point
            Row("too-blurry", 0.3, 106, 0.98, 0.99, 300),      // FD 6 % worse
            Row("wrong-class", 0.2, 90, 0.96, 0.99, 200),      // 2 points of class accuracy lost
            Row("closest", 0.3, 102, 0.965, 0.99, 300),       // 1.5 points lost: the most accurate cheap plan
            Row("desaturated", 0.25, 50, 0.60, 0.99, 250));   // lowest FD, but the wrong class 40 % of the time
        var check = new QualityTargets().Check(table);
        Assert.True(check.FullClassMet && check.FullColorMet);
        Assert.Equal("weak70-g0-wg", check.Matching!.Name);
        Assert.Equal((1 - 0.45) / (1 - 0.4), check.TimeToFlopsSaving!.Value, 6);
        Assert.True(check.TimeMet);
        Assert.Equal("closest", check.BestCheap!.Name);
        Assert.False(check.BestCheapMatches);
        Assert.True(check.AllMet);
        Assert.Equal("weak70-g0-wg", new QualityTargets().CheapestMatching(table).Name);
        Assert.Contains("`weak70-g0-wg` at 40.0 %", check.Markdown());
    }

    [Fact]
    public void Misses_are_reported_not_hidden()
    {
        var table = Table(
            Row("full", 1.0, 100, 0.90, 0.99, 1000),
            Row("weak50", 0.45, 120, 0.90, 0.99, 500),
            Row("slow", 0.7, 100, 0.90, 0.99, 900));
        var check = new QualityTargets().Check(table);
        Assert.False(check.FullClassMet);
        Assert.Null(check.Matching);
        Assert.False(check.AllMet);
        Assert.Contains("**missed** (none in this table)", check.Markdown());
        // With no cheaper plan keeping full quality, the default plan is full compute itself.
        Assert.Equal("full", new QualityTargets().CheapestMatching(Table(Row("full", 1.0, 100, 0.9, 0.9, 1000), Row("x", 0.5, 200, 0.9, 0.9, 500))).Name);
        Assert.Throws<InvalidDataException>(() => new QualityTargets().Check(Table(Row("weak50", 0.5, 1, 1, 1, 1))));
    }

    [Fact]
    public void A_plan_whose_time_falls_much_less_than_its_flops_misses_the_time_target()
    {
        var check = new QualityTargets().Check(Table(Row("full", 1.0, 100, 0.98, 0.99, 1000), Row("weak", 0.4, 100, 0.98, 0.99, 700)));
        Assert.Equal(0.5, check.TimeToFlopsSaving!.Value, 6);
        Assert.False(check.TimeMet);
    }
}
