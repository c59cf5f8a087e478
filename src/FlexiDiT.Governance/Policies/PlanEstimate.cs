namespace FlexiDiT.Governance.Policies;

/// <summary>One row of the cost table <see cref="ComputePolicyEngine.Estimate"/> returns.</summary>
public sealed record PlanEstimate
{
    /// <summary>Gets the plan's name.</summary>
    public required string PlanName { get; init; }

    /// <summary>Gets the plan's description, if any.</summary>
    public string? Description { get; init; }

    /// <summary>Gets the plan's FLOPs as a fraction of full compute.</summary>
    public required double FlopsFraction { get; init; }

    /// <summary>
    /// Gets the share of compute FlexiDiT's weak steps save against full compute at the plan's own steps and guidance,
    /// or <see langword="null"/> when the table cannot tell (see <see cref="Knowledge.PlanTable.SameStepsFlopsFraction"/>).
    /// </summary>
    public double? FlexiDiTSavedFraction { get; init; }

    /// <summary>
    /// Gets the share of full compute saved by running fewer steps (or guided forwards) than full compute, a saving
    /// that composes with FlexiDiT's: (1 − total) = (1 − FlexiDiT) × (1 − fewer steps); <see langword="null"/> when unknown.
    /// </summary>
    public double? FewerStepsSavedFraction { get; init; }

    /// <summary>Gets the whole saving against full compute in whole percent (FlexiDiT's and fewer steps' together).</summary>
    public int ComputeSavedPercent => (int)Math.Round((1 - FlopsFraction) * 100);

    /// <summary>Gets <see cref="FlexiDiTSavedFraction"/> in whole percent.</summary>
    public int? FlexiDiTSavedPercent => FlexiDiTSavedFraction is { } f ? (int)Math.Round(f * 100) : null;

    /// <summary>Gets <see cref="FewerStepsSavedFraction"/> in whole percent.</summary>
    public int? FewerStepsSavedPercent => FewerStepsSavedFraction is { } f ? (int)Math.Round(f * 100) : null;

    /// <summary>Gets the denoiser FLOPs for all the images.</summary>
    public required double TotalFlops { get; init; }

    /// <summary>Gets the price in credits for all the images.</summary>
    public required decimal Cost { get; init; }

    /// <summary>Gets the predicted milliseconds for all the images, if predictable.</summary>
    public double? PredictedLatencyMs { get; init; }

    /// <summary>Gets the plan's Fréchet distance relative to full compute, if measured.</summary>
    public double? FrechetRatio { get; init; }

    /// <summary>Gets the plan's class accuracy, if measured.</summary>
    public double? ClassAccuracy { get; init; }

    /// <summary>Gets a value indicating whether the plan meets the task's quality floor.</summary>
    public required bool MeetsQualityFloor { get; init; }

    /// <summary>Gets a value indicating whether the plan is predicted to meet the task's default SLA.</summary>
    public required bool MeetsSla { get; init; }
}
