using FlexiDiT.Flops;

namespace FlexiDiT.Tests.Flops;

/// <summary>The saving is split honestly: FlexiDiT's part at the same steps, fewer steps' part, and their product.</summary>
public class ComputeSavingsTests
{
    [Fact]
    public void FlexiDiT_saving_is_measured_at_the_same_steps_and_composes_with_fewer_steps()
    {
        // Half the steps of full compute, and 38 % of those steps' FLOPs saved by weak patch sizes.
        var savings = ComputeSavings.Of(spent: 310, sameStepsFull: 500, reference: 1000);

        Assert.Equal(0.38, savings.FlexiDiTFraction, 6);
        Assert.Equal(0.5, savings.StepsFraction, 6);
        Assert.Equal(0.69, savings.TotalFraction, 6);
        Assert.Equal(1 - savings.TotalFraction, (1 - savings.FlexiDiTFraction) * (1 - savings.StepsFraction), 9);
        Assert.Equal(savings.TotalSaved, savings.FlexiDiTSaved + savings.StepsSaved);
        Assert.Equal("38% by FlexiDiT (same steps and guidance) × 50% by fewer steps = 69% saved vs full compute", savings.ToString().Replace(" %", "%", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_separate_reference_all_of_the_saving_is_FlexiDiT_s()
    {
        var savings = ComputeSavings.Of(spent: 620, sameStepsFull: 1000, reference: null);

        Assert.Equal(0.38, savings.FlexiDiTFraction, 6);
        Assert.Equal(0, savings.StepsSaved);
        Assert.Equal(savings.FlexiDiTFraction, savings.TotalFraction);
    }

    [Fact]
    public void More_steps_than_the_reference_is_a_negative_step_saving_and_no_total_below_zero()
    {
        var savings = ComputeSavings.Of(spent: 1100, sameStepsFull: 1500, reference: 1000);

        Assert.True(savings.StepsFraction < 0);
        Assert.True(savings.FlexiDiTFraction > 0);
        Assert.Equal(0, savings.TotalFraction);
        Assert.Contains("more steps", savings.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Full_compute_below_what_was_spent_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => ComputeSavings.Of(spent: 10, sameStepsFull: 5, reference: 20));
        Assert.Contains("cannot be below what was spent", error.Message, StringComparison.Ordinal);
    }
}
