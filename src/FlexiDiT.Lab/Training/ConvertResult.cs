namespace FlexiDiT.Training;

/// <summary>What a conversion did.</summary>
public sealed record ConvertResult(int Steps, double FirstLoss, double FinalLoss, TimeSpan Elapsed, string Output);
