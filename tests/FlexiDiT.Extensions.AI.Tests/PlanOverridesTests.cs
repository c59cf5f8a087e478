using FlexiDiT.Extensions.AI.Internal;
using FlexiDiT.Sampling;

namespace FlexiDiT.Extensions.AI.Tests;

/// <summary>A request's step count keeps the shape of the plan it overrides.</summary>
public class PlanOverridesTests
{
    [Fact]
    public void A_steps_override_scales_the_powerful_and_the_unguided_steps_at_the_end()
    {
        var plan = new PlanSpec { Name = "p", Respacing = "40", PowerfulCondSteps = 20, PowerfulGuidanceSteps = 8, UnguidedLastSteps = 10 };

        var half = PlanOverrides.Apply(plan, steps: 20, guidance: null);

        Assert.Equal("20", half.Respacing);
        Assert.Equal(10, half.PowerfulCondSteps);
        Assert.Equal(4, half.PowerfulGuidanceSteps);
        Assert.Equal(5, half.UnguidedLastSteps);
        Assert.Same(plan, PlanOverrides.Apply(plan, steps: null, guidance: null));
    }
}
