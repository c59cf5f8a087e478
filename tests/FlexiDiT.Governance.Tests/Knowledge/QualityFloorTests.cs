using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Governance.Tests.Support;

namespace FlexiDiT.Governance.Tests.Knowledge;

public sealed class QualityFloorTests
{
    private static readonly PlanTable Plans = TestKnowledge.Plans();

    [Theory]
    [InlineData("full", 1.05, true)]
    [InlineData("weak-first-60", 1.05, true)]    // ratio exactly 1.05
    [InlineData("weak-first-80", 1.05, false)]   // ratio 1.2
    [InlineData("fast-20", 10.0, false)]         // quality unknown
    public void MaxFrechetRatio_compares_against_full_compute(string planName, double maxRatio, bool expected)
    {
        var floor = new QualityFloor { MaxFrechetRatio = maxRatio };

        Assert.Equal(expected, floor.IsSatisfiedBy(Plans.Find(planName)!, Plans.FullCompute));
    }

    [Theory]
    [InlineData("weak-first-40", true)]
    [InlineData("weak-first-60", false)]
    [InlineData("fast-20", false)]
    public void MinClassAccuracy_needs_a_measured_accuracy(string planName, bool expected)
    {
        var floor = new QualityFloor { MinClassAccuracy = 0.96 };

        Assert.Equal(expected, floor.IsSatisfiedBy(Plans.Find(planName)!, Plans.FullCompute));
    }

    [Fact]
    public void None_is_satisfied_even_by_unevaluated_plans()
    {
        Assert.True(QualityFloor.None.IsSatisfiedBy(Plans.Find("fast-20")!, Plans.FullCompute));
        Assert.True(QualityFloor.None.IsNone);
    }

    [Fact]
    public void ToString_describes_the_floor_for_reasons()
    {
        Assert.Equal("FD ≤ 1.05× full and class accuracy ≥ 0.9", new QualityFloor { MaxFrechetRatio = 1.05, MinClassAccuracy = 0.9 }.ToString());
        Assert.Equal("no quality floor", QualityFloor.None.ToString());
    }

    [Fact]
    public void Init_rejects_nonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new QualityFloor { MaxFrechetRatio = -1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new QualityFloor { MinClassAccuracy = 1.5 });
    }
}
