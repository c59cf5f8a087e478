using static TorchSharp.torch;

namespace FlexiDiT.Diffusion;

/// <summary>The outcome of one reverse step: the next, less noisy sample and the clean image x₀ the step predicted.</summary>
/// <param name="Sample">x_{t-1}.</param>
/// <param name="PredictedStart">The model's estimate of x₀ at this step (clipped where the plan clips).</param>
public readonly record struct SolverStep(Tensor Sample, Tensor PredictedStart);
