namespace FlexiDiT.Server;

/// <summary>One mode's figures.</summary>
/// <param name="Mode">The mode.</param>
/// <param name="Cost">Credits for the request.</param>
/// <param name="PredictedMs">Predicted milliseconds, if predictable.</param>
/// <param name="ComputeSavedPercent">Compute saved against full compute.</param>
/// <param name="MeetsQualityFloor">Whether it meets the task's quality floor.</param>
public sealed record ModeResult(string Mode, decimal Cost, double? PredictedMs, int ComputeSavedPercent, bool MeetsQualityFloor);
