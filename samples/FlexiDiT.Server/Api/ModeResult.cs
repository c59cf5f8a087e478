using System.Text.Json.Serialization;

namespace FlexiDiT.Server;

/// <summary>One mode's figures.</summary>
/// <param name="Mode">The mode.</param>
/// <param name="Cost">Credits for the request.</param>
/// <param name="PredictedMs">Predicted milliseconds, if predictable.</param>
/// <param name="ComputeSavedPercent">Compute saved against full compute (both savings below together).</param>
/// <param name="MeetsQualityFloor">Whether it meets the task's quality floor.</param>
/// <param name="FlexiDiTSavedPercent">What FlexiDiT's weak steps save against full compute at the mode's own steps and guidance, if known.</param>
/// <param name="FewerStepsSavedPercent">What running fewer steps than full compute saves, if known (it composes with FlexiDiT's).</param>
public sealed record ModeResult(string Mode, decimal Cost, double? PredictedMs, int ComputeSavedPercent, bool MeetsQualityFloor,
    [property: JsonPropertyName("flexidit_saved_percent")] int? FlexiDiTSavedPercent = null, int? FewerStepsSavedPercent = null);
