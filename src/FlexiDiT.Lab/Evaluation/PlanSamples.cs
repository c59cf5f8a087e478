using static TorchSharp.torch;

namespace FlexiDiT.Evaluation;

/// <summary>The images one plan drew in a paired evaluation, and what they cost.</summary>
/// <param name="Samples">The images (N, C, H, W), clamped to [-1, 1]; the caller disposes them.</param>
/// <param name="Flops">FLOPs spent on all images (2 per multiply-add).</param>
/// <param name="SameStepsFullFlops">FLOPs the same steps and guidance would have cost at the powerful patch size.</param>
/// <param name="Elapsed">Wall time of the sampling, warm-up excluded.</param>
public sealed record PlanSamples(Tensor Samples, long Flops, long SameStepsFullFlops, TimeSpan Elapsed);
