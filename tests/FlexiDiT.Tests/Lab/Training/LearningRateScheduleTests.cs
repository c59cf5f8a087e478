using FlexiDiT.Training;

namespace FlexiDiT.Tests.Training;

/// <summary>Warm-up, constant rate, then the linear cool-down that ends an extended run at zero.</summary>
public sealed class LearningRateScheduleTests
{
    [Theory]
    [InlineData(0, 0.25)]      // warm-up: (step + 1) / 4
    [InlineData(3, 1.0)]
    [InlineData(50, 1.0)]      // constant until the cool-down starts at step 90
    [InlineData(90, 1.0)]
    [InlineData(95, 0.5)]      // halfway through the cool-down
    [InlineData(99, 0.1)]
    [InlineData(100, 0.0)]
    public void Warms_up_holds_and_cools_down_to_zero_at_the_last_step(int step, double expected) =>
        Assert.Equal(expected, LearningRateSchedule.Factor(step, warmupSteps: 4, cooldownSteps: 10, totalSteps: 100), precision: 12);

    [Fact]
    public void Without_a_cooldown_the_rate_stays_constant_after_warm_up() =>
        Assert.Equal(1.0, LearningRateSchedule.Factor(10_000, warmupSteps: 300));

    [Theory]
    [InlineData(0.0, 1.0)]
    [InlineData(0.7, 1.0)]
    [InlineData(0.85, 0.5)]
    [InlineData(1.0, 0.0)]
    [InlineData(1.2, 0.0)]     // a time budget overshoots by a step
    public void A_budgeted_run_cools_down_over_its_last_fraction(double progress, double expected) =>
        Assert.Equal(expected, LearningRateSchedule.FactorByProgress(progress, cooldownFraction: 0.3), precision: 12);

    [Theory]
    [InlineData(500, 10.0, 0.5)]    // steps lead: 500 of 1000, 10 of 60 minutes
    [InlineData(100, 45.0, 0.75)]   // a slow machine: time leads
    [InlineData(1000, 60.0, 1.0)]
    public void Budget_progress_is_the_further_of_steps_and_time(int step, double minutes, double expected) =>
        Assert.Equal(expected, LearningRateSchedule.BudgetProgress(step, 1000, TimeSpan.FromMinutes(minutes), TimeSpan.FromMinutes(60)), precision: 12);

    [Fact]
    public void Budget_progress_counts_only_the_limits_given()
    {
        Assert.Equal(0.25, LearningRateSchedule.BudgetProgress(250, 1000, TimeSpan.FromHours(5), null), precision: 12);
        Assert.Equal(0.5, LearningRateSchedule.BudgetProgress(10_000, null, TimeSpan.FromMinutes(30), TimeSpan.FromHours(1)), precision: 12);
    }

    [Fact]
    public void A_cooldown_without_a_total_step_count_is_refused()
    {
        var error = Assert.Throws<ArgumentException>(() => LearningRateSchedule.Factor(5, 0, cooldownSteps: 10));
        Assert.Contains("--steps", error.Message);
    }
}
