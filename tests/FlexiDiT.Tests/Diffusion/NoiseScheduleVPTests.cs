using FlexiDiT.Diffusion;

namespace FlexiDiT.Tests.Diffusion;

/// <summary>The continuous-time VP schedule over the discrete linear betas, as the official NoiseScheduleVP('discrete').</summary>
public class NoiseScheduleVPTests
{
    private static readonly NoiseScheduleVP Schedule = NoiseScheduleVP.Linear();

    [Fact]
    public void Grid_points_carry_half_the_log_of_alpha_bar_at_t_equal_n_plus_one_over_N()
    {
        var ddpm = new GaussianDiffusion();
        Assert.Equal(1000, Schedule.TotalN);
        Assert.Equal(1e-3, Schedule.StartTime);
        foreach (int n in new[] { 0, 1, 137, 500, 998, 999 })
        {
            double t = Schedule.TimeGrid[n];
            Assert.Equal((n + 1) / 1000.0, t, 1e-7);
            // log α_t at the grid point is ½ log ᾱ_n, kept in float32.
            Assert.Equal(0.5 * Math.Log(ddpm.AlphasCumprod[n]), Schedule.MarginalLogMeanCoeff(t), 2e-6 * Math.Max(1, Math.Abs(Schedule.MarginalLogMeanCoeff(t))));
        }
    }

    [Fact]
    public void Log_alpha_is_linear_between_grid_points_and_extrapolated_beyond_them()
    {
        double a = Schedule.TimeGrid[400], b = Schedule.TimeGrid[401];
        double mid = Schedule.MarginalLogMeanCoeff(0.5 * (a + b));
        Assert.Equal(0.5 * (Schedule.LogAlphaGrid[400] + Schedule.LogAlphaGrid[401]), mid, 1e-12);
        // Below t_0 = 1/N the first segment continues: log α(0) = 2·log α(t_0) − log α(t_1) (up to the grid's spacing).
        double slope = (Schedule.LogAlphaGrid[1] - Schedule.LogAlphaGrid[0]) / (Schedule.TimeGrid[1] - Schedule.TimeGrid[0]);
        Assert.Equal(Schedule.LogAlphaGrid[0] - slope * Schedule.TimeGrid[0], Schedule.MarginalLogMeanCoeff(0), 1e-12);
    }

    [Theory]
    [InlineData(1e-3)]
    [InlineData(0.0123)]
    [InlineData(0.5005)]
    [InlineData(0.9)]
    [InlineData(1.0)]
    public void Alpha_and_sigma_are_variance_preserving_and_lambda_is_their_log_ratio(double t)
    {
        double alpha = Schedule.MarginalAlpha(t), sigma = Schedule.MarginalStd(t);
        Assert.Equal(1.0, alpha * alpha + sigma * sigma, 1e-12);
        Assert.Equal(Math.Log(alpha) - Math.Log(sigma), Schedule.MarginalLambda(t), 1e-9);
    }

    [Theory]
    [InlineData(1e-3)]
    [InlineData(0.0567)]
    [InlineData(0.3)]
    [InlineData(0.77777)]
    [InlineData(1.0)]
    public void Inverse_lambda_recovers_the_time(double t)
    {
        Assert.Equal(t, Schedule.InverseLambda(Schedule.MarginalLambda(t)), 1e-9);
    }

    [Fact]
    public void Lambda_falls_from_about_plus_five_to_about_minus_five()
    {
        // ᾱ at the ends of the linear schedule: 0.9999 and 4.04e-5, so λ = ½ log(ᾱ/(1−ᾱ)) ≈ 4.6 and −5.06.
        Assert.Equal(0.5 * Math.Log(0.9999 / 0.0001), Schedule.MarginalLambda(1e-3), 1e-4);
        Assert.InRange(Schedule.MarginalLambda(1.0), -5.1, -5.0);
        double previous = double.PositiveInfinity;
        for (int i = 1; i <= 100; i++)
        {
            double lambda = Schedule.MarginalLambda(i / 100.0);
            Assert.True(lambda < previous, $"λ must decrease in t (t = {i / 100.0})");
            previous = lambda;
        }
    }

    [Fact]
    public void The_model_time_is_the_discrete_step_the_time_stands_for()
    {
        Assert.Equal(999f, Schedule.ModelTime(1f));
        Assert.Equal(0f, Schedule.ModelTime(1e-3f));
    }

    [Fact]
    public void Betas_outside_zero_to_one_are_refused_by_index()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new NoiseScheduleVP([0.1, 1.0, 0.2]));
        Assert.Contains("Beta 1", error.Message);
    }
}
