namespace FlexiDiT.Sampling;

/// <summary>Timing of one batched forward, for latency models that learn from real runs.</summary>
/// <param name="PatchSize">Patch size of the forward.</param>
/// <param name="Batch">Images in the forward.</param>
/// <param name="Milliseconds">Wall time.</param>
public sealed record ForwardObservation(int PatchSize, int Batch, double Milliseconds);
