using System.Text.Json;

namespace FlexiDiT.Governance.Knowledge;

/// <summary>
/// Predicts how long the engine takes, from measured milliseconds per batched forward pass at each
/// (patch size, batch size), and refines itself from real runs.
/// </summary>
/// <remarks>
/// <para>Between measured batch sizes the time is interpolated linearly; beyond them it is extrapolated from
/// the nearest two measurements (or, with a single measurement, scaled in proportion to the batch).</para>
/// <para>All members are thread-safe: the generator observes real runs while the policy engine predicts.</para>
/// </remarks>
public sealed class LatencyModel
{
    /// <summary>The default weight of a new observation in the exponential moving average.</summary>
    public const double DefaultSmoothing = 0.2;

    private readonly object gate = new();
    private readonly Dictionary<int, SortedList<int, double>> byPatch = [];

    /// <summary>Initializes a new instance of the <see cref="LatencyModel"/> class.</summary>
    /// <param name="measurements">The measurements; at least one, each (patch size, batch) at most once.</param>
    /// <param name="device">A description of the device measured, if known.</param>
    /// <param name="measuredAt">When the calibration ran, if known.</param>
    /// <param name="smoothing">The weight (0, 1] of a new observation in <see cref="Observe"/>.</param>
    /// <exception cref="ArgumentException">A measurement is invalid or duplicated, or there is none.</exception>
    public LatencyModel(
        IEnumerable<LatencyMeasurement> measurements,
        string? device = null,
        DateTimeOffset? measuredAt = null,
        double smoothing = DefaultSmoothing)
    {
        ArgumentNullException.ThrowIfNull(measurements);
        if (!(smoothing > 0 && smoothing <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(smoothing), smoothing, "smoothing must be in (0, 1]");
        }

        foreach (var m in measurements)
        {
            ArgumentNullException.ThrowIfNull(m, nameof(measurements));
            Validate(m.PatchSize, m.Batch, m.Ms, nameof(measurements));
            var series = SeriesFor(m.PatchSize);
            if (!series.TryAdd(m.Batch, m.Ms))
            {
                throw new ArgumentException(
                    $"patch size {m.PatchSize}, batch {m.Batch} is measured more than once", nameof(measurements));
            }
        }

        if (byPatch.Count == 0)
        {
            throw new ArgumentException("a latency model needs at least one measurement", nameof(measurements));
        }

        Device = device;
        MeasuredAt = measuredAt;
        Smoothing = smoothing;
    }

    /// <summary>Gets a description of the device measured, if known.</summary>
    public string? Device { get; }

    /// <summary>Gets when the calibration ran, if known.</summary>
    public DateTimeOffset? MeasuredAt { get; }

    /// <summary>Gets the weight of a new observation in the exponential moving average.</summary>
    public double Smoothing { get; }

    /// <summary>Returns a consistent copy of the current measurements, ordered by patch size then batch.</summary>
    /// <returns>The measurements.</returns>
    public IReadOnlyList<LatencyMeasurement> Snapshot()
    {
        lock (gate)
        {
            return byPatch.OrderBy(kv => kv.Key)
                .SelectMany(kv => kv.Value.Select(b => new LatencyMeasurement(kv.Key, b.Key, b.Value)))
                .ToList();
        }
    }

    /// <summary>Predicts the milliseconds of one forward pass of a batch at a patch size.</summary>
    /// <param name="patchSize">The patch size.</param>
    /// <param name="batch">The batch size; fractional values are allowed (an average batch).</param>
    /// <param name="ms">The prediction.</param>
    /// <returns><see langword="false"/> when the patch size was never measured.</returns>
    public bool TryPredictForwardMs(int patchSize, double batch, out double ms)
    {
        if (!(batch > 0) || !double.IsFinite(batch))
        {
            throw new ArgumentOutOfRangeException(nameof(batch), batch, "batch must be a positive number");
        }

        lock (gate)
        {
            if (!byPatch.TryGetValue(patchSize, out var series))
            {
                ms = 0;
                return false;
            }

            ms = Interpolate(series, batch);
            return true;
        }
    }

    /// <summary>
    /// Predicts the milliseconds to generate <paramref name="count"/> images with a plan, all in one batch.
    /// </summary>
    /// <remarks>
    /// The table counts single-image forwards per image; forwards per step (2 with classifier-free guidance) are
    /// assumed to run together, so each of the <c>forwards / perStep</c> calls at a patch size takes a batch of
    /// <c>count × perStep</c>. In a step whose guidance branch runs at another patch size than the conditional
    /// one, the engine makes two calls of <c>count</c> instead, so such plans are predicted somewhat optimistically
    /// (batching is sublinear); the table does not say how many such steps a plan has.
    /// </remarks>
    /// <param name="plan">The plan.</param>
    /// <param name="count">The number of images.</param>
    /// <param name="ms">The prediction.</param>
    /// <returns><see langword="false"/> when a patch size the plan uses was never measured.</returns>
    public bool TryPredictPlanMs(PlanEntry plan, int count, out double ms)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);

        var perStep = (double)plan.TotalForwards / plan.Steps;
        var batch = count * perStep;
        ms = 0;
        foreach (var (patch, forwards) in plan.Forwards)
        {
            if (forwards == 0)
            {
                continue;
            }

            if (!TryPredictForwardMs(patch, batch, out var perCall))
            {
                ms = 0;
                return false;
            }

            ms += forwards / perStep * perCall;
        }

        return true;
    }

    /// <summary>Predicts the milliseconds to generate images with a plan.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="count">The number of images.</param>
    /// <returns>The prediction.</returns>
    /// <exception cref="InvalidOperationException">A patch size the plan uses was never measured.</exception>
    public double PredictPlanMs(PlanEntry plan, int count) =>
        TryPredictPlanMs(plan, count, out var ms)
            ? ms
            : throw new InvalidOperationException(
                $"the latency model has no measurement for a patch size plan '{plan.Name}' uses " +
                $"({string.Join(", ", plan.Forwards.Keys)}); run 'flexidit calibrate'");

    /// <summary>
    /// Folds a real forward-pass time into the model with an exponential moving average, or records it as a new
    /// measurement when that (patch size, batch) was never measured.
    /// </summary>
    /// <param name="patchSize">The patch size.</param>
    /// <param name="batch">The batch size.</param>
    /// <param name="ms">The measured milliseconds of that forward pass.</param>
    public void Observe(int patchSize, int batch, double ms)
    {
        Validate(patchSize, batch, ms, nameof(ms));
        lock (gate)
        {
            var series = SeriesFor(patchSize);
            series[batch] = series.TryGetValue(batch, out var old)
                ? ((1 - Smoothing) * old) + (Smoothing * ms)
                : ms;
        }
    }

    /// <summary>Serializes the model in the calibration file format.</summary>
    /// <returns>The JSON text.</returns>
    public string ToJson()
    {
        var doc = new LatencyModelJson
        {
            Device = Device,
            MeasuredAt = MeasuredAt,
            Entries = Snapshot().Select(m => (LatencyEntryJson?)new LatencyEntryJson
            {
                PatchSize = m.PatchSize,
                Batch = m.Batch,
                Ms = m.Ms,
            }).ToList(),
        };
        return JsonSerializer.Serialize(doc, KnowledgeJson.Options);
    }

    /// <summary>Writes the model to a file, replacing it atomically so a reader never sees half a file.</summary>
    /// <param name="path">The file path.</param>
    public void Save(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var temp = $"{full}.{Guid.NewGuid():N}.tmp";
        try
        {
            File.WriteAllText(temp, ToJson());
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            File.Delete(temp);
        }
    }

    /// <summary>Loads and validates a latency model file.</summary>
    /// <param name="path">The JSON file written by <c>flexidit calibrate</c> or <see cref="Save"/>.</param>
    /// <param name="smoothing">The weight of a new observation in <see cref="Observe"/>.</param>
    /// <returns>The model.</returns>
    /// <exception cref="KnowledgeFileException">The file cannot be read, is not valid JSON, or fails validation.</exception>
    public static LatencyModel Load(string path, double smoothing = DefaultSmoothing) =>
        Parse(KnowledgeJson.ReadFile(path), path, smoothing);

    /// <summary>Parses and validates a latency model from JSON text.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">The name used in error messages, usually the file path.</param>
    /// <param name="smoothing">The weight of a new observation in <see cref="Observe"/>.</param>
    /// <returns>The model.</returns>
    /// <exception cref="KnowledgeFileException">The text is not valid JSON or fails validation.</exception>
    public static LatencyModel Parse(string json, string source = "latency model", double smoothing = DefaultSmoothing)
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);

        var doc = KnowledgeJson.Deserialize<LatencyModelJson>(json, source);
        if (doc.Entries is null || doc.Entries.Count == 0)
        {
            throw new KnowledgeFileException(source, "field 'entries' is missing or empty");
        }

        var measurements = new List<LatencyMeasurement>(doc.Entries.Count);
        var seen = new HashSet<(int, int)>();
        for (var i = 0; i < doc.Entries.Count; i++)
        {
            var e = doc.Entries[i] ?? throw new KnowledgeFileException(source, $"entries[{i}]: expected an object, got null");
            var patch = e.PatchSize ?? throw new KnowledgeFileException(source, $"entries[{i}]: field 'patchSize' is required");
            var batch = e.Batch ?? throw new KnowledgeFileException(source, $"entries[{i}]: field 'batch' is required");
            var ms = e.Ms ?? throw new KnowledgeFileException(source, $"entries[{i}]: field 'ms' is required");
            if (patch < 1)
            {
                throw new KnowledgeFileException(source, $"entries[{i}]: field 'patchSize' must be a positive integer (got {patch})");
            }

            if (batch < 1)
            {
                throw new KnowledgeFileException(source, $"entries[{i}]: field 'batch' must be a positive integer (got {batch})");
            }

            if (!KnowledgeJson.IsPositiveFinite(ms))
            {
                throw new KnowledgeFileException(source, $"entries[{i}]: field 'ms' must be a positive number (got {ms.ToString("R", System.Globalization.CultureInfo.InvariantCulture)})");
            }

            if (!seen.Add((patch, batch)))
            {
                throw new KnowledgeFileException(source, $"entries[{i}]: patch size {patch}, batch {batch} appears more than once");
            }

            measurements.Add(new LatencyMeasurement(patch, batch, ms));
        }

        return new LatencyModel(measurements, doc.Device, doc.MeasuredAt, smoothing);
    }

    private static void Validate(int patchSize, int batch, double ms, string paramName)
    {
        if (patchSize < 1)
        {
            throw new ArgumentOutOfRangeException(paramName, patchSize, "patch size must be a positive integer");
        }

        if (batch < 1)
        {
            throw new ArgumentOutOfRangeException(paramName, batch, "batch must be a positive integer");
        }

        if (!KnowledgeJson.IsPositiveFinite(ms))
        {
            throw new ArgumentOutOfRangeException(paramName, ms, "milliseconds must be a positive number");
        }
    }

    private static double Interpolate(SortedList<int, double> series, double batch)
    {
        var batches = series.Keys;
        var times = series.Values;
        if (series.Count == 1)
        {
            // One point says nothing about fixed overhead; proportional scaling is the only unbiased guess.
            return times[0] * batch / batches[0];
        }

        // Pick the segment that contains the batch, or the nearest end segment to extrapolate from.
        var hi = 1;
        while (hi < series.Count - 1 && batches[hi] < batch)
        {
            hi++;
        }

        var lo = hi - 1;
        var slope = (times[hi] - times[lo]) / (batches[hi] - batches[lo]);
        var linear = times[lo] + ((batch - batches[lo]) * slope);

        // Noisy measurements can make an extrapolated line cross zero. Two facts bound it: per-image time only
        // falls as batches grow (so below the smallest batch, proportional scaling is a floor), and a bigger
        // batch never takes less time in total (so above the largest batch, its time is a floor).
        if (batch < batches[0])
        {
            return Math.Max(linear, times[0] * batch / batches[0]);
        }

        return batch > batches[^1] ? Math.Max(linear, times[^1]) : linear;
    }

    private SortedList<int, double> SeriesFor(int patchSize)
    {
        if (!byPatch.TryGetValue(patchSize, out var series))
        {
            series = [];
            byPatch[patchSize] = series;
        }

        return series;
    }
}
