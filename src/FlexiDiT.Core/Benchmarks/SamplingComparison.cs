namespace FlexiDiT.Benchmarks;

/// <summary>A weak-first plan's sampling runs against full compute at the same steps and guidance (<see cref="SamplingBenchmark"/>).</summary>
/// <param name="Full">Full compute.</param>
/// <param name="WeakFirst">The weak-first plan.</param>
/// <param name="Rounds">Timed rounds.</param>
/// <param name="Batch">Images per run.</param>
/// <param name="FlopsSaved">1 − weak-first FLOPs / full FLOPs: FlexiDiT's saving alone (same steps and guidance).</param>
/// <param name="TimeSaved">1 − weak-first time / full time.</param>
/// <param name="TimeSavedPerFlopSaved">Time saved over FLOPs saved (1: every FLOP saved is time saved).</param>
public sealed record SamplingComparison(PlanSamplingTiming Full, PlanSamplingTiming WeakFirst, int Rounds, int Batch, double FlopsSaved, double TimeSaved, double TimeSavedPerFlopSaved)
{
    /// <summary>The comparison of two plans' timings.</summary>
    public static SamplingComparison Of(PlanSamplingTiming full, PlanSamplingTiming weakFirst, int rounds, int batch)
    {
        ArgumentNullException.ThrowIfNull(full);
        ArgumentNullException.ThrowIfNull(weakFirst);
        double flopsSaved = 1 - (weakFirst.GflopsPerImage / full.GflopsPerImage), timeSaved = 1 - (weakFirst.MsPerImage / full.MsPerImage);
        return new SamplingComparison(full, weakFirst, rounds, batch, flopsSaved, timeSaved, timeSaved / flopsSaved);
    }
}
