using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>The outcome of sampling: the samples and what they cost.</summary>
/// <param name="Samples">The final samples (N, C, H, W), on the CPU.</param>
/// <param name="FlopsSpent">FLOPs the plan spent (2 per multiply-add).</param>
/// <param name="FullComputeFlops">FLOPs the same steps would have spent all at the powerful patch size.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record SampleResult(Tensor Samples, long FlopsSpent, long FullComputeFlops, TimeSpan Elapsed);
