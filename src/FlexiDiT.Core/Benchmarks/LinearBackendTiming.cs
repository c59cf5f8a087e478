namespace FlexiDiT.Benchmarks;

/// <summary>One patch size's forward time with one <see cref="Engine.LinearBackend"/>, timed in alternation with the others.</summary>
/// <param name="PatchSize">The patch size.</param>
/// <param name="Tokens">Tokens per image.</param>
/// <param name="Backend">The backend's name (torch, openblas, packed).</param>
/// <param name="MedianMs">Median forward ms with this backend's products.</param>
/// <param name="SpeedupOverTorch">Median over rounds of libtorch's ms / this backend's ms in the same round (above 1: faster than libtorch; 1 for torch itself).</param>
/// <param name="Rounds">Rounds; each runs one forward per backend, the order rotating between rounds.</param>
public sealed record LinearBackendTiming(int PatchSize, int Tokens, string Backend, double MedianMs, double SpeedupOverTorch, int Rounds);
