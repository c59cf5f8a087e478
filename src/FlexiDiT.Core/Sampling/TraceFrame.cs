using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>One recorded step of a traced sampling run.</summary>
/// <param name="Step">The step, 1 to the plan's step count.</param>
/// <param name="Timestep">Its original (1000-step) timestep.</param>
/// <param name="CondPatch">The patch size its conditional branch ran at.</param>
/// <param name="PredictedStart">The clean images x₀ the step predicted (N, C, H, W), on the CPU.</param>
public sealed record TraceFrame(int Step, long Timestep, int CondPatch, Tensor PredictedStart);
