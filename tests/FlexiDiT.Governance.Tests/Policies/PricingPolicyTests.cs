using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Governance.Tests.Policies;

public sealed class PricingPolicyTests
{
    private static readonly PricingPolicy Pricing = new() { CreditsPerTflop = 100m, MinimumChargePerImage = 0.05m };

    [Theory]
    [InlineData(1.0e10, 1, "1")]           // 0.01 TFLOP × 100
    [InlineData(0.55e10, 4, "2.2")]
    [InlineData(1.0e8, 3, "0.15")]         // 0.01 per image, below the 0.05 minimum
    [InlineData(1.234567891e10, 1, "1.234568")] // rounded up to the micro-credit
    public void PriceOf_charges_per_TFLOP_with_a_minimum_per_image(double flops, int count, string expected)
    {
        Assert.Equal(decimal.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), Pricing.PriceOf(flops, count));
    }

    [Fact]
    public void PriceOf_rejects_nonsense()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Pricing.PriceOf(double.NaN, 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pricing.PriceOf(1, 0));
    }
}
