namespace FlexiDiT.Benchmarks;

/// <summary>One patch size's forward time with each <see cref="Engine.LinearBackend"/>, timed in alternation.</summary>
/// <param name="PatchSize">The patch size.</param>
/// <param name="Tokens">Tokens per image.</param>
/// <param name="TorchMs">Median forward ms with libtorch's products.</param>
/// <param name="OpenBlasMs">Median forward ms with OpenBLAS's products.</param>
/// <param name="Speedup">Median over rounds of libtorch's ms / OpenBLAS's ms in the same round (above 1: OpenBLAS is faster).</param>
/// <param name="Rounds">Rounds; each runs one forward per backend, in alternating order.</param>
public sealed record LinearBackendTiming(int PatchSize, int Tokens, double TorchMs, double OpenBlasMs, double Speedup, int Rounds);
