using FlexiDiT.Evaluation;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Evaluation;

public class FrechetDistanceTests
{
    [Fact]
    public void Distance_of_gaussians_matches_the_closed_form()
    {
        // Σ₁ = I, Σ₂ = 4I in 3-D, means 1 apart: 1 + 3 + 12 − 2·tr(2I) = 4.
        var m1 = zeros(3, dtype: float64);
        var m2 = tensor(new double[] { 1, 0, 0 });
        double d = FrechetDistance.Compute(m1, eye(3, dtype: float64), m2, 4 * eye(3, dtype: float64));
        Assert.Equal(4.0, d, 6);
    }

    [Fact]
    public void Same_distribution_is_near_zero_and_a_shifted_one_is_not()
    {
        var g = new Generator(1);
        var a = randn(4000, 8, generator: g);
        var b = randn(4000, 8, generator: g);
        Assert.InRange(FrechetDistance.Compute(a, b), 0, 0.05);
        Assert.InRange(FrechetDistance.Compute(a, b + 1), 7.5, 8.5);
    }
}
