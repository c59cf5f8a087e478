namespace FlexiDiT.Governance.Knowledge;

/// <summary>The time of one batched forward pass of the denoiser at one patch size.</summary>
/// <param name="PatchSize">The patch size.</param>
/// <param name="Batch">The number of single-image inputs in the batch.</param>
/// <param name="Ms">Milliseconds per forward pass of the whole batch.</param>
public sealed record LatencyMeasurement(int PatchSize, int Batch, double Ms);
