using System.Globalization;

namespace FlexiDiT.Flops;

/// <summary>
/// FLOPs a plan saved, split into its two independent sources: FlexiDiT (weak patch sizes) against full compute at the
/// <b>same</b> steps and guidance, and fewer steps (or less guidance) than the full-compute reference. They compose:
/// the fractions kept multiply, so (1 − total) = (1 − FlexiDiT) × (1 − steps).
/// </summary>
/// <param name="Spent">FLOPs spent.</param>
/// <param name="SameStepsFull">FLOPs of the same steps and guidance with every forward at the powerful patch size.</param>
/// <param name="Reference">FLOPs of the full-compute reference (the pack's <c>full</c> plan; without one, <paramref name="SameStepsFull"/>).</param>
public sealed record ComputeSavings(long Spent, long SameStepsFull, long Reference)
{
    /// <summary>Splits the saving, checking that the FLOPs are consistent.</summary>
    /// <param name="spent">FLOPs spent.</param>
    /// <param name="sameStepsFull">The same steps and guidance at the powerful patch size.</param>
    /// <param name="reference">The full-compute reference, or <see langword="null"/> to use <paramref name="sameStepsFull"/>.</param>
    public static ComputeSavings Of(long spent, long sameStepsFull, long? reference)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(spent);
        if (sameStepsFull < spent)
            throw new ArgumentException($"Full compute at the same steps ({sameStepsFull} FLOPs) cannot be below what was spent ({spent}).", nameof(sameStepsFull));
        return new ComputeSavings(spent, sameStepsFull, reference ?? sameStepsFull);
    }

    /// <summary>Gets the FLOPs saved by FlexiDiT: same steps and guidance at full compute minus spent.</summary>
    public long FlexiDiTSaved => SameStepsFull - Spent;

    /// <summary>Gets the share FlexiDiT saved of full compute at the same steps and guidance (0..1).</summary>
    public double FlexiDiTFraction => SameStepsFull > 0 ? FlexiDiTSaved / (double)SameStepsFull : 0;

    /// <summary>Gets the FLOPs saved by running fewer steps (or less guidance) than the reference; negative when more.</summary>
    public long StepsSaved => Reference - SameStepsFull;

    /// <summary>Gets the share fewer steps saved of the reference (negative when the plan runs more than it).</summary>
    public double StepsFraction => Reference > 0 ? StepsSaved / (double)Reference : 0;

    /// <summary>Gets the FLOPs saved in all against the reference (never negative).</summary>
    public long TotalSaved => Math.Max(0, Reference - Spent);

    /// <summary>Gets the share saved in all: 1 − (1 − FlexiDiT) × (1 − steps), never below 0.</summary>
    public double TotalFraction => Reference > 0 ? TotalSaved / (double)Reference : 0;

    /// <summary>One line for people: e.g. "38 % by FlexiDiT (same steps and guidance) × 50 % by fewer steps = 69 % saved".</summary>
    public override string ToString()
    {
        var flexi = string.Create(CultureInfo.InvariantCulture, $"{FlexiDiTFraction:P0} by FlexiDiT (same steps and guidance)");
        return StepsSaved == 0
            ? string.Create(CultureInfo.InvariantCulture, $"{flexi} = {TotalFraction:P0} saved")
            : string.Create(CultureInfo.InvariantCulture, $"{flexi} × {StepsFraction:P0} by {(StepsSaved > 0 ? "fewer" : "more")} steps = {TotalFraction:P0} saved vs full compute");
    }
}
