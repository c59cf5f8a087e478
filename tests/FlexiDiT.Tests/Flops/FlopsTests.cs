using FlexiDiT.Flops;
using FlexiDiT.Models;
using FlexiDiT.Sampling;

namespace FlexiDiT.Tests.Flops;

/// <summary>FLOPs accounting against the DiT paper's published figures.</summary>
public class FlopsTests
{
    [Theory]
    [InlineData("DiT-XL/2", 32, 118.6)]
    [InlineData("DiT-S/2", 32, 6.06)]
    [InlineData("DiT-B/2", 32, 23.01)]
    [InlineData("DiT-L/2", 32, 80.71)]
    [InlineData("DiT-XL/2", 64, 524.6)]
    public void Multiply_adds_match_the_dit_paper(string name, int latent, double paperGflops)
    {
        var config = DiTConfig.Official(name, latent);
        double g = FlopCounter.MultiplyAdds(config, config.PatchSize) / 1e9;
        Assert.InRange(g, paperGflops * 0.99, paperGflops * 1.01);
        Assert.Equal(2 * FlopCounter.MultiplyAdds(config, config.PatchSize), FlopCounter.Flops(config, config.PatchSize));
    }

    [Fact]
    public void Weak_patch_costs_about_a_quarter()
    {
        var config = DiTConfig.Official("DiT-XL/2") with { FlexiPatchSizes = [4] };
        double ratio = FlopCounter.Flops(config, 4) / (double)FlopCounter.Flops(config, 2);
        Assert.InRange(ratio, 0.24, 0.26);
    }

    [Fact]
    public void Plan_flops_add_up_steps_branches_and_batch()
    {
        var config = DiTConfig.Official("DiT-S/2") with { FlexiPatchSizes = [4] };
        var plan = ComputePlan.WeakFirst("p", "10", 2, 4, powerfulCondSteps: 4, powerfulGuidanceSteps: 2, guidanceScale: 4);
        long expected = 3 * (4 * FlopCounter.Flops(config, 2) + 6 * FlopCounter.Flops(config, 4) + 2 * FlopCounter.Flops(config, 2) + 8 * FlopCounter.Flops(config, 4));
        Assert.Equal(expected, SamplingRun.PlanFlops(config, plan, 3));
    }

    [Fact]
    public void Weak_first_schedule_puts_powerful_steps_last()
    {
        var plan = ComputePlan.WeakFirst("p", "10", 2, 4, powerfulCondSteps: 3, powerfulGuidanceSteps: 1, guidanceScale: 4, weakGuidance: true);
        Assert.Equal([4, 4, 4, 4, 4, 4, 4, 2, 2, 2], plan.Steps.Select(s => s.CondPatch));
        Assert.Equal([4, 4, 4, 4, 4, 4, 4, 4, 4, 2], plan.Steps.Select(s => s.GuidancePatch));
        // The weak conditional replaces the unconditional only where the conditional branch is powerful.
        Assert.Equal([false, false, false, false, false, false, false, true, true, false], plan.Steps.Select(s => s.GuidanceIsWeakConditional));
    }

    [Fact]
    public void Unguided_last_steps_run_the_conditional_branch_only()
    {
        var config = DiTConfig.Official("DiT-S/2") with { FlexiPatchSizes = [4] };
        var plan = ComputePlan.WeakFirst("p", "10", 2, 4, powerfulCondSteps: 6, powerfulGuidanceSteps: 6, guidanceScale: 4, unguidedLastSteps: 3);
        Assert.Equal([true, true, true, true, true, true, true, false, false, false], plan.Steps.Select(s => s.Guided));
        Assert.Equal(new Dictionary<int, int> { [2] = 9, [4] = 8 }, plan.ForwardsByPatch());
        long expected = 2 * (9 * FlopCounter.Flops(config, 2) + 8 * FlopCounter.Flops(config, 4));
        Assert.Equal(expected, SamplingRun.PlanFlops(config, plan, 2));
        Assert.Throws<ArgumentException>(() => ComputePlan.WeakFirst("p", "10", 2, 4, 6, 6, 4, unguidedLastSteps: 11));
    }
}
