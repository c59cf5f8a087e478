using System.Globalization;
using FlexiDiT.Benchmarks;
using FlexiDiT.Extensions.AI.Internal;
using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Models;
using FlexiDiT.Packs;
using static TorchSharp.torch;

namespace FlexiDiT.Extensions.AI;

/// <summary>
/// Measures how long one batched forward of a pack's model takes at each patch size and batch size on this machine,
/// producing the <see cref="LatencyModel"/> the policy engine predicts SLAs with (the JSON of <c>flexidit calibrate</c>).
/// </summary>
/// <remarks>
/// Timing uses <see cref="ForwardBenchmark"/>: the pack's architecture with random weights (the work does not depend on
/// the weights), after warm-up, median of the repeats. Batches count single-image forwards, as the engine's
/// <c>ForwardCompleted</c> observations do, so real runs refine the same entries.
/// </remarks>
public static class FlexiDiTCalibration
{
    /// <summary>The batch sizes measured by default.</summary>
    public static IReadOnlyList<int> DefaultBatches { get; } = [1, 2, 4, 8, 16];

    /// <summary>Measures a pack's model.</summary>
    /// <param name="pack">The pack.</param>
    /// <param name="batches">Batch sizes, ascending; <see langword="null"/> for <see cref="DefaultBatches"/>.</param>
    /// <param name="warmup">Untimed forwards before each measurement.</param>
    /// <param name="repeats">Timed forwards per measurement (the median is kept).</param>
    /// <param name="device">The device, or <see langword="null"/> for the CPU.</param>
    /// <param name="stopAfter">Skip larger batches once a forward takes longer than this (they are extrapolated); <see langword="null"/> measures all.</param>
    /// <param name="log">Where progress lines go, if anywhere.</param>
    /// <param name="statistic">Which of the repeats each entry keeps.</param>
    /// <param name="timeProvider">The clock that dates the measurement; <see cref="TimeProvider.System"/> if omitted.</param>
    /// <returns>The latency model.</returns>
    public static LatencyModel Measure(
        ModelPack pack, IEnumerable<int>? batches = null, int warmup = 2, int repeats = 7, Device? device = null, TimeSpan? stopAfter = null, TextWriter? log = null,
        CalibrationStatistic statistic = CalibrationStatistic.Median, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(pack);
        return Measure(PackPlans.ReadConfig(pack), batches, warmup, repeats, device, stopAfter, log, statistic, timeProvider);
    }

    /// <summary>Measures a model config.</summary>
    /// <param name="config">The architecture (its FlexiDiT patch sizes included): a <see cref="DiTConfig"/> or a <see cref="PixArtConfig"/>.</param>
    /// <param name="batches">Batch sizes, ascending; <see langword="null"/> for <see cref="DefaultBatches"/>.</param>
    /// <param name="warmup">Untimed forwards before each measurement.</param>
    /// <param name="repeats">Timed forwards per measurement (the median is kept).</param>
    /// <param name="device">The device, or <see langword="null"/> for the CPU.</param>
    /// <param name="stopAfter">Skip larger batches once a forward takes longer than this; <see langword="null"/> measures all.</param>
    /// <param name="log">Where progress lines go, if anywhere.</param>
    /// <param name="statistic">Which of the repeats each entry keeps.</param>
    /// <param name="timeProvider">The clock that dates the measurement; <see cref="TimeProvider.System"/> if omitted.</param>
    /// <returns>The latency model.</returns>
    public static LatencyModel Measure(
        IDenoiserGeometry config, IEnumerable<int>? batches = null, int warmup = 2, int repeats = 7, Device? device = null, TimeSpan? stopAfter = null, TextWriter? log = null,
        CalibrationStatistic statistic = CalibrationStatistic.Median, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentOutOfRangeException.ThrowIfNegative(warmup);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        var sizes = (batches ?? DefaultBatches).ToList();
        if (sizes.Count == 0 || sizes.Any(b => b < 1) || sizes.Distinct().Count() != sizes.Count)
        {
            throw new ArgumentException("batch sizes must be distinct positive integers", nameof(batches));
        }

        device ??= CPU;
        var measurements = new List<LatencyMeasurement>();
        foreach (var batch in sizes.Order())
        {
            var timings = config switch
            {
                DiTConfig dit => ForwardBenchmark.Run(dit, batch, warmup, repeats, device),
                PixArtConfig pixArt => ForwardBenchmark.Run(pixArt, batch, warmup, repeats, device),
                _ => throw new NotSupportedException($"Calibration times DiT and PixArt-α forwards, not {config.GetType().Name}."),
            };
            foreach (var t in timings)
            {
                var ms = statistic == CalibrationStatistic.Fastest ? t.MinMs : t.MedianMs;
                measurements.Add(new LatencyMeasurement(t.PatchSize, t.Batch, ms));
                log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"patch {t.PatchSize,2}  batch {t.Batch,3}  median {t.MedianMs,9:F2} ms  fastest {t.MinMs,9:F2} ms  ({t.GflopsPerSecond:F1} GFLOP/s at the median)"));
            }

            if (stopAfter is { } limit && timings.Max(t => t.MinMs) > limit.TotalMilliseconds)
            {
                log?.WriteLine($"stopping at batch {batch}: a forward takes longer than {limit.TotalMilliseconds:0} ms; larger batches are extrapolated");
                break;
            }
        }

        return new LatencyModel(measurements, Describe(device), (timeProvider ?? TimeProvider.System).GetUtcNow());
    }

    /// <summary>
    /// The calibration a generator runs on first use when no latency file exists: one warm-up and three repeats per
    /// point, keeping the fastest, stopping once a forward exceeds half a second. A few seconds for the shipped Shapes
    /// model on a laptop CPU.
    /// </summary>
    /// <remarks>
    /// It keeps the fastest repeat because errors in the two directions are not alike: an optimistic model corrects
    /// itself, since the requests it lets through run and their forwards are observed; a pessimistic one refuses
    /// requests as <c>SlaUnreachable</c>, which never run, so nothing ever corrects it. Three repeats on a machine that
    /// is busy right now (the first use is often during start-up) would make it pessimistic.
    /// </remarks>
    /// <param name="config">The architecture.</param>
    /// <param name="device">The device, or <see langword="null"/> for the CPU.</param>
    /// <param name="timeProvider">The clock that dates the measurement; <see cref="TimeProvider.System"/> if omitted.</param>
    /// <returns>The latency model.</returns>
    public static LatencyModel Quick(IDenoiserGeometry config, Device? device = null, TimeProvider? timeProvider = null) =>
        Measure(config, DefaultBatches, warmup: 1, repeats: 3, device, stopAfter: TimeSpan.FromMilliseconds(500), statistic: CalibrationStatistic.Fastest, timeProvider: timeProvider);

    private static string Describe(Device device) =>
        device.type == TorchSharp.DeviceType.CUDA
            ? $"{device}"
            : string.Create(CultureInfo.InvariantCulture, $"cpu: {Environment.ProcessorCount} cores, {get_num_threads()} torch threads");
}
