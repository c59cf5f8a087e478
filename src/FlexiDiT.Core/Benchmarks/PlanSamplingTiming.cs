namespace FlexiDiT.Benchmarks;

/// <summary>One plan's sampling runs in <see cref="SamplingBenchmark"/>.</summary>
/// <param name="Plan">The plan's name.</param>
/// <param name="Steps">Its steps.</param>
/// <param name="WeakSteps">Steps whose conditional branch runs the weak patch size.</param>
/// <param name="MsPerImage">Median wall time of a run, per image.</param>
/// <param name="GflopsPerImage">The plan's FLOPs per image (the captions' keys and values once per branch and patch size).</param>
public sealed record PlanSamplingTiming(string Plan, int Steps, int WeakSteps, double MsPerImage, double GflopsPerImage);
