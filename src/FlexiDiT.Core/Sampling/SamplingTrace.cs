using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>One recorded step of a traced sampling run.</summary>
/// <param name="Step">The step, 1 to the plan's step count.</param>
/// <param name="Timestep">Its original (1000-step) timestep.</param>
/// <param name="CondPatch">The patch size its conditional branch ran at.</param>
/// <param name="PredictedStart">The clean images x₀ the step predicted (N, C, H, W), on the CPU.</param>
public sealed record TraceFrame(int Step, long Timestep, int CondPatch, Tensor PredictedStart);

/// <summary>What the model predicted along a sampling run, and the run's outcome.</summary>
/// <param name="Frames">The recorded steps, in order; the last step is always among them.</param>
/// <param name="Result">The samples and their cost, as <see cref="Sampler.Sample(ComputePlan, long[], INoiseSource, CancellationToken, IProgress{int})"/> reports them.</param>
public sealed record SamplingTrace(IReadOnlyList<TraceFrame> Frames, SampleResult Result);
