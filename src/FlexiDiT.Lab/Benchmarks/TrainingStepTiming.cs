namespace FlexiDiT.Benchmarks;

/// <summary>Seconds per training step in float32 and with the bfloat16 replica, measured in the same run.</summary>
/// <param name="Batch">Images per step.</param>
/// <param name="StepsPerRound">Steps each precision trains per round.</param>
/// <param name="Rounds">Alternating rounds.</param>
/// <param name="Float32SecondsPerStep">Median over rounds, float32.</param>
/// <param name="Bfloat16SecondsPerStep">Median over rounds, bfloat16 forward/backward.</param>
/// <param name="Speedup">float32 time ÷ bfloat16 time (above 1: bfloat16 is faster on this CPU).</param>
public sealed record TrainingStepTiming(int Batch, int StepsPerRound, int Rounds, double Float32SecondsPerStep, double Bfloat16SecondsPerStep, double Speedup);
