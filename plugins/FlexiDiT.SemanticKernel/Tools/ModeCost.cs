namespace FlexiDiT.SemanticKernel;

/// <summary>One compute mode's price and speed for a request.</summary>
public sealed record ModeCost
{
    /// <summary>Gets the mode (plan) name.</summary>
    public required string Mode { get; init; }

    /// <summary>Gets the price of the whole request in this mode, in credits.</summary>
    public required decimal Credits { get; init; }

    /// <summary>Gets the predicted seconds for the whole request, if predictable.</summary>
    public double? PredictedSeconds { get; init; }

    /// <summary>Gets the percentage of compute saved against full compute (both savings below together).</summary>
    public required int ComputeSavedPercent { get; init; }

    /// <summary>Gets the percentage FlexiDiT's weak steps save against full compute at this mode's own steps and guidance, if known.</summary>
    public int? FlexiDiTSavedPercent { get; init; }

    /// <summary>Gets the percentage of full compute saved by running fewer steps, if known (it composes with FlexiDiT's).</summary>
    public int? FewerStepsSavedPercent { get; init; }

    /// <summary>Gets a value indicating whether the mode meets the task's quality floor.</summary>
    public required bool MeetsQualityFloor { get; init; }

    /// <summary>Gets a value indicating whether the mode is predicted to meet the task's default deadline.</summary>
    public required bool MeetsDeadline { get; init; }
}
