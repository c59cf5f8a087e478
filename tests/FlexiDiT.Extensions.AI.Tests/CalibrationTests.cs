using FlexiDiT.Extensions.AI.Tests.Support;
using FlexiDiT.Governance.Knowledge;
using Microsoft.Extensions.Time.Testing;

namespace FlexiDiT.Extensions.AI.Tests;

/// <summary>Latency calibration: measured per patch size and batch, saved in the governance's format, done on first use when missing.</summary>
[Collection(TinyPackCollection.Name)]
public sealed class CalibrationTests(TinyFlexiDiTPack pack)
{
    [Fact]
    public void Measure_times_every_patch_size_at_every_batch_and_round_trips_through_the_file_format()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));
        var model = FlexiDiTCalibration.Measure(pack.Config, [1, 4], warmup: 0, repeats: 1, timeProvider: clock);

        var entries = model.Snapshot();
        Assert.Equal([(2, 1), (2, 4), (4, 1), (4, 4)], entries.Select(m => (m.PatchSize, m.Batch)));
        Assert.All(entries, m => Assert.True(m.Ms > 0));
        var path = Path.Combine(pack.Root, $"calibration-{Guid.NewGuid():N}.json");
        model.Save(path);
        Assert.Equal(entries, LatencyModel.Load(path).Snapshot());
        Assert.Equal(clock.GetUtcNow(), model.MeasuredAt);
    }

    [Fact]
    public void Without_a_latency_file_the_first_use_calibrates_and_saves_one_next_to_the_ledger()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));
        var options = pack.CreateOptions(o =>
        {
            o.LatencyModelPath = null;
            o.TimeProvider = clock;
        });
        using var runtime = new FlexiDiTRuntime(options);
        var expectedPath = FlexiDiTPaths.LatencyModelPath(TinyFlexiDiTPack.Name, options.LedgerPath);
        Assert.Equal(Path.GetDirectoryName(options.LedgerPath), Path.GetDirectoryName(expectedPath));
        Assert.False(File.Exists(expectedPath));

        var latency = runtime.DefaultModel.Latency;

        Assert.True(File.Exists(expectedPath));
        var measured = latency.Snapshot().Select(m => (m.PatchSize, m.Batch)).ToHashSet();
        Assert.Contains((2, 1), measured);
        Assert.Contains((4, 1), measured);
        Assert.Equal(latency.Snapshot(), LatencyModel.Load(expectedPath).Snapshot());
        Assert.Equal(clock.GetUtcNow(), latency.MeasuredAt);
        // The policy engine now predicts latency from the measured forwards.
        var predicted = runtime.DefaultModel.PolicyEngine.PredictLatencyMs(runtime.DefaultModel.PlanTable.Find("full")!, 1);
        Assert.True(predicted > 0, $"predicted {predicted} ms for the full plan");
    }
}
