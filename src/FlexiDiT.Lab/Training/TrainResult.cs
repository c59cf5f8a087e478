namespace FlexiDiT.Training;

/// <summary>What a training run left behind.</summary>
public sealed record TrainResult(int Steps, double FinalLoss, double FirstLoss, TimeSpan TrainingTime, string EmaCheckpoint);
