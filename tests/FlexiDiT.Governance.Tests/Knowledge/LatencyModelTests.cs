using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Governance.Tests.Support;

namespace FlexiDiT.Governance.Tests.Knowledge;

public sealed class LatencyModelTests
{
    public static TheoryData<int, double, double> ForwardCases => new()
    {
        { 2, 2, 20 },     // measured
        { 2, 3, 28 },     // interpolated between 2 (20 ms) and 4 (36 ms)
        { 2, 8, 68 },     // extrapolated along the same line: 36 + 4 × 8
        { 2, 1, 12 },     // extrapolated below: 20 − 8 = 12, above the proportional floor of 10
        { 4, 6, 14 },     // 10 + 2 × 2
    };

    [Theory]
    [MemberData(nameof(ForwardCases))]
    public void TryPredictForwardMs_interpolates_and_extrapolates_linearly_in_batch(int patch, double batch, double expected)
    {
        Assert.True(TestKnowledge.Latency().TryPredictForwardMs(patch, batch, out var ms));
        Assert.Equal(expected, ms, precision: 9);
    }

    [Fact]
    public void TryPredictForwardMs_keeps_fixed_overhead_below_the_smallest_batch()
    {
        // 100 ms at batch 2, 101 ms at batch 4: mostly overhead, so half an image still costs ~99 ms.
        var model = new LatencyModel([new(2, 2, 100), new(2, 4, 101)]);

        Assert.True(model.TryPredictForwardMs(2, 0.5, out var ms));
        Assert.Equal(99.25, ms, precision: 9);
    }

    [Fact]
    public void TryPredictForwardMs_never_extrapolates_below_proportional_scaling()
    {
        // 10 ms at batch 2, 100 ms at batch 4: the line crosses zero at batch 1.78; per-image time at batch 2 is the floor.
        var steep = new LatencyModel([new(2, 2, 10), new(2, 4, 100)]);

        Assert.True(steep.TryPredictForwardMs(2, 1, out var ms));
        Assert.Equal(5, ms, precision: 9);
    }

    [Fact]
    public void TryPredictForwardMs_never_predicts_less_than_the_largest_measured_batch_above_it()
    {
        // Noise made batch 4 faster than batch 2; a bigger batch still cannot be faster than batch 4.
        var model = new LatencyModel([new(2, 2, 30), new(2, 4, 20)]);

        Assert.True(model.TryPredictForwardMs(2, 16, out var ms));
        Assert.Equal(20, ms, precision: 9);
    }

    [Fact]
    public void TryPredictForwardMs_scales_a_single_measurement_in_proportion()
    {
        var model = new LatencyModel([new(2, 4, 40)]);

        Assert.True(model.TryPredictForwardMs(2, 6, out var ms));
        Assert.Equal(60, ms, precision: 9);
    }

    [Fact]
    public void TryPredictForwardMs_reports_an_unmeasured_patch_size()
    {
        Assert.False(TestKnowledge.Latency().TryPredictForwardMs(8, 2, out _));
    }

    [Theory]
    [InlineData("full", 1, 1000)]          // 50 calls × 20 ms at batch 2
    [InlineData("weak-first-60", 1, 580)]  // 20 × 20 + 30 × 6
    [InlineData("weak-first-60", 4, 1900)] // batch 8: 20 × 68 + 30 × 18
    [InlineData("fast-20", 1, 120)]        // 20 steps × 6 ms
    public void TryPredictPlanMs_batches_guidance_branches_of_a_step(string planName, int count, double expected)
    {
        var plan = TestKnowledge.Plans().Find(planName)!;

        Assert.True(TestKnowledge.Latency().TryPredictPlanMs(plan, count, out var ms));
        Assert.Equal(expected, ms, precision: 6);
    }

    [Fact]
    public void PredictPlanMs_names_the_missing_patch_size()
    {
        var model = new LatencyModel([new(2, 2, 20)]);
        var plan = TestKnowledge.Plans().Find("weak-only")!;

        var ex = Assert.Throws<InvalidOperationException>(() => model.PredictPlanMs(plan, 1));
        Assert.Contains("weak-only", ex.Message);
        Assert.Contains("flexidit calibrate", ex.Message);
    }

    [Fact]
    public void Observe_blends_a_known_point_with_the_moving_average()
    {
        var model = TestKnowledge.Latency();

        model.Observe(2, 2, 30);

        Assert.True(model.TryPredictForwardMs(2, 2, out var ms));
        Assert.Equal((0.8 * 20) + (0.2 * 30), ms, precision: 9);
    }

    [Fact]
    public void Observe_adds_an_unmeasured_batch_as_a_measurement()
    {
        var model = TestKnowledge.Latency();

        model.Observe(2, 8, 50);

        Assert.True(model.TryPredictForwardMs(2, 8, out var ms));
        Assert.Equal(50, ms, precision: 9);
        Assert.Contains(new LatencyMeasurement(2, 8, 50), model.Snapshot());
    }

    [Fact]
    public void Observe_is_safe_alongside_predictions_on_other_threads()
    {
        var model = new LatencyModel([new(2, 1, 10)]);

        Parallel.For(2, 2002, new ParallelOptions { MaxDegreeOfParallelism = 4 }, batch =>
        {
            model.Observe(2, batch, batch * 10);
            Assert.True(model.TryPredictForwardMs(2, batch, out var ms));
            Assert.True(ms > 0);
        });

        var snapshot = model.Snapshot();
        Assert.Equal(2001, snapshot.Count);
        Assert.All(snapshot, m => Assert.Equal(m.Batch * 10.0, m.Ms));
    }

    [Fact]
    public void Save_writes_a_file_that_loads_back_with_observations()
    {
        using var dir = new TempDirectory();
        var model = TestKnowledge.Latency();
        model.Observe(4, 8, 17.5);
        var path = dir.File("nested/latency.json");

        model.Save(path);
        var loaded = LatencyModel.Load(path);

        Assert.Equal(model.Snapshot(), loaded.Snapshot());
        Assert.Equal("test rig", loaded.Device);
        Assert.Equal(new DateTimeOffset(2025, 1, 1, 0, 0, 0, TimeSpan.Zero), loaded.MeasuredAt);
        Assert.Single(Directory.GetFiles(Path.GetDirectoryName(path)!));
    }

    public static TheoryData<string, string> InvalidModels => new()
    {
        { """{ "entries": [] }""", "latency.json: field 'entries' is missing or empty" },
        { """{ "entries": [ { "patchSize": 2, "batch": 1, "ms": -3 } ] }""", "latency.json: entries[0]: field 'ms' must be a positive number (got -3)" },
        { """{ "entries": [ { "patchSize": 2, "ms": 3 } ] }""", "latency.json: entries[0]: field 'batch' is required" },
        { """{ "entries": [ { "patchSize": 2, "batch": 1, "ms": 3 }, { "patchSize": 2, "batch": 1, "ms": 4 } ] }""", "latency.json: entries[1]: patch size 2, batch 1 appears more than once" },
    };

    [Theory]
    [MemberData(nameof(InvalidModels))]
    public void Parse_rejects_invalid_models_with_the_file_and_field(string json, string expected)
    {
        var ex = Assert.Throws<KnowledgeFileException>(() => LatencyModel.Parse(json, "latency.json"));

        Assert.Equal(expected, ex.Message);
    }
}
