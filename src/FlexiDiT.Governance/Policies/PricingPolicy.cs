namespace FlexiDiT.Governance.Policies;

/// <summary>The price of compute, in credits.</summary>
public sealed record PricingPolicy
{
    /// <summary>The number of decimal places charges are kept to (micro-credits).</summary>
    public const int CreditDecimals = 6;

    /// <summary>Gets the credits charged per 10¹² denoiser FLOPs (2 FLOPs per multiply-add).</summary>
    public required decimal CreditsPerTflop { get; init; }

    /// <summary>Gets the least charged for one image, however cheap its plan.</summary>
    public decimal MinimumChargePerImage { get; init; }

    /// <summary>Prices a number of images generated with a plan of the given FLOPs per image.</summary>
    /// <param name="flopsPerImage">The denoiser FLOPs per image.</param>
    /// <param name="count">The number of images.</param>
    /// <returns>The price in credits, rounded up to the micro-credit so that no charge is ever undercounted.</returns>
    public decimal PriceOf(double flopsPerImage, int count)
    {
        if (!(double.IsFinite(flopsPerImage) && flopsPerImage >= 0))
        {
            throw new ArgumentOutOfRangeException(nameof(flopsPerImage), flopsPerImage, "must be a finite number of at least 0");
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var perImage = Math.Max((decimal)(flopsPerImage / 1e12) * CreditsPerTflop, MinimumChargePerImage);
        return Math.Round(perImage * count, CreditDecimals, MidpointRounding.ToPositiveInfinity);
    }

    internal void Validate()
    {
        if (CreditsPerTflop < 0)
        {
            throw new ArgumentException($"pricing: CreditsPerTflop must not be negative (got {CreditsPerTflop})");
        }

        if (MinimumChargePerImage < 0)
        {
            throw new ArgumentException($"pricing: MinimumChargePerImage must not be negative (got {MinimumChargePerImage})");
        }
    }
}
