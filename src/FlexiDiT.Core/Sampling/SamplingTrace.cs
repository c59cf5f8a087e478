namespace FlexiDiT.Sampling;

/// <summary>What the model predicted along a sampling run, and the run's outcome.</summary>
/// <param name="Frames">The recorded steps, in order; the last step is always among them.</param>
/// <param name="Result">The samples and their cost, as <see cref="Sampler.Sample(ComputePlan, long[], INoiseSource, CancellationToken, IProgress{int})"/> reports them.</param>
public sealed record SamplingTrace(IReadOnlyList<TraceFrame> Frames, SampleResult Result);
