namespace FlexiDiT.Benchmarks;

/// <summary>Training-data throughput of the scene world on one thread.</summary>
/// <param name="Batches">Batches timed.</param>
/// <param name="BatchSize">Samples per batch.</param>
/// <param name="WallSecondsPerBatch">Elapsed time per batch (includes time other processes took from this one).</param>
/// <param name="CpuSecondsPerBatch">This process's CPU time per batch: what one free core would take.</param>
/// <param name="BatchesPerCpuSecond">1 ÷ <see cref="CpuSecondsPerBatch"/>.</param>
public sealed record SceneDataTiming(int Batches, int BatchSize, double WallSecondsPerBatch, double CpuSecondsPerBatch, double BatchesPerCpuSecond);
