using FlexiDiT.Engine;
using FlexiDiT.Extensions.AI.Tests.Support;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Sampling;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace FlexiDiT.Extensions.AI.Tests;

/// <summary>Every request is decided, reserved, run and charged by the governance; refusals and cancellations cost nothing.</summary>
[Collection(TinyPackCollection.Name)]
public sealed class GovernanceTests(TinyFlexiDiTPack pack)
{
    [Fact]
    public async Task Usage_reports_flops_steps_time_and_cost_consistently_with_the_ledger()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var response = await generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions { Count = 2 }.WithMode("weak"));

        var counts = response.Usage!.AdditionalCounts!;
        long weak = pack.FlopsPerImage(TinyFlexiDiTPack.Plans[1]), full = pack.FlopsPerImage(TinyFlexiDiTPack.Plans[0]);
        Assert.Equal(2 * weak, counts[FlexiDiTUsageKeys.FlopsSpent]);
        Assert.Equal((2 * full) - counts[FlexiDiTUsageKeys.FlopsSpent], counts[FlexiDiTUsageKeys.FlopsSaved]);
        Assert.True(counts[FlexiDiTUsageKeys.FlopsSaved] > 0);
        Assert.Equal(10, counts[FlexiDiTUsageKeys.Steps]);
        Assert.Equal(5, counts[FlexiDiTUsageKeys.WeakSteps]);
        Assert.True(counts[FlexiDiTUsageKeys.Milliseconds] > 0);

        var report = response.GetFlexiDiTReport()!;
        var price = generator.Runtime.Policies.Pricing.PriceOf(weak, 2);
        Assert.Equal(price, report.Cost);
        Assert.Equal(report.ReservedCost, report.Cost);
        Assert.Equal((long)Math.Round(price * 1000m, MidpointRounding.AwayFromZero), counts[FlexiDiTUsageKeys.CostMillicredits]);
        Assert.Equal(price, response.Contents[0].AdditionalProperties![FlexiDiTContentKeys.Cost]);

        var status = await generator.Runtime.Ledger.GetStatusAsync(TinyFlexiDiTPack.Tenant);
        Assert.Equal(price, status.Tenant.Spent);
        Assert.Equal(0m, status.Tenant.Reserved);
    }

    [Theory]
    [InlineData("draft", "cheap")]
    [InlineData("slide", "weak")]
    [InlineData("ad-creative", "full")]
    public async Task Each_task_type_gets_the_cheapest_plan_that_meets_its_quality_floor(string taskType, string expectedMode)
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var response = await generator.GenerateImagesAsync("cyan ring", new ImageGenerationOptions().WithTaskType(taskType));

        var report = response.GetFlexiDiTReport()!;
        Assert.Equal(expectedMode, report.Mode);
        Assert.Equal(expectedMode, response.Contents[0].AdditionalProperties![FlexiDiTContentKeys.Mode]);
        Assert.Contains("cheapest plan meeting", report.Reason, StringComparison.Ordinal);
        Assert.False(report.Degraded);
        Assert.Equal(taskType, report.TaskType);
        Assert.NotNull(report.PredictedLatencyMs);
    }

    [Fact]
    public async Task An_exhausted_budget_is_refused_with_its_reason_code_nothing_held_and_no_weights_loaded()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        await generator.Runtime.Ledger.SetBudgetOverrideAsync(TinyFlexiDiTPack.Tenant, null, 0m);

        var e = await Assert.ThrowsAsync<ImageGenerationRefusedException>(() => generator.GenerateImagesAsync("a red circle"));

        Assert.Equal(RefusalReason.BudgetExhausted, e.Code);
        Assert.Contains("credits", e.Reason, StringComparison.Ordinal);
        var status = await generator.Runtime.Ledger.GetStatusAsync(TinyFlexiDiTPack.Tenant);
        Assert.Equal((0m, 0m), (status.Tenant.Spent, status.Tenant.Reserved));
        Assert.Null(generator.Runtime.DefaultModel.LoadedEngine);
    }

    [Fact]
    public async Task A_budget_too_small_for_the_floor_degrades_a_task_that_may_degrade()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        var cheap = generator.Runtime.Policies.Pricing.PriceOf(pack.FlopsPerImage(TinyFlexiDiTPack.Plans[2]), 1);
        await generator.Runtime.Ledger.SetBudgetOverrideAsync(TinyFlexiDiTPack.Tenant, null, cheap);

        var response = await generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithTaskType("slide"));

        var report = response.GetFlexiDiTReport()!;
        Assert.Equal("cheap", report.Mode);
        Assert.True(report.Degraded);
        Assert.Equal(true, response.Contents[0].AdditionalProperties![FlexiDiTContentKeys.Degraded]);
        Assert.Equal(cheap, report.Cost);
    }

    [Fact]
    public async Task Policy_refusals_carry_their_codes()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var notAllowed = await Assert.ThrowsAsync<ImageGenerationRefusedException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithTaskType("slide").WithTenant(TinyFlexiDiTPack.DraftsOnlyTenant)));
        var unknownTenant = await Assert.ThrowsAsync<ImageGenerationRefusedException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithTenant("nobody")));
        var unknownTask = await Assert.ThrowsAsync<ImageGenerationRefusedException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithTaskType("poster")));
        var unknownMode = await Assert.ThrowsAsync<ImageGenerationRefusedException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithMode("turbo")));
        var tooFast = await Assert.ThrowsAsync<ImageGenerationRefusedException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithDeadline(TimeSpan.FromMilliseconds(1))));

        Assert.Equal(RefusalReason.TaskNotAllowed, notAllowed.Code);
        Assert.Equal(RefusalReason.UnknownTenant, unknownTenant.Code);
        Assert.Equal(RefusalReason.UnknownTaskType, unknownTask.Code);
        Assert.Contains("draft, slide, ad-creative", unknownTask.Reason, StringComparison.Ordinal);
        Assert.Equal(RefusalReason.UnknownPlan, unknownMode.Code);
        Assert.Contains("full, weak, cheap", unknownMode.Reason, StringComparison.Ordinal);
        Assert.Equal(RefusalReason.SlaUnreachable, tooFast.Code);
        Assert.StartsWith("FlexiDiT refused the request (SlaUnreachable)", tooFast.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_steps_override_is_priced_before_it_is_reserved()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var response = await generator.GenerateImagesAsync("white cross", new ImageGenerationOptions().WithMode("full").WithSteps(5).WithGuidance(1));

        var report = response.GetFlexiDiTReport()!;
        var fiveUnguided = pack.FlopsPerImage(TinyFlexiDiTPack.Plans[0] with { Respacing = "5", GuidanceScale = 1 });
        Assert.Equal(5, report.Steps);
        Assert.Equal(fiveUnguided, report.FlopsSpent);
        Assert.Equal(generator.Runtime.Policies.Pricing.PriceOf(fiveUnguided, 1), report.Cost);
        Assert.Equal(report.Cost, report.ReservedCost);
        Assert.Contains("overridden", report.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancelling_a_running_request_stops_it_within_a_step_and_releases_its_reservation()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        using var cts = new CancellationTokenSource();
        var task = generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithMode("full").WithSteps(1000), cts.Token);

        var forwards = await WaitUntilRunningAsync(generator);
        var held = await generator.Runtime.Ledger.GetStatusAsync(TinyFlexiDiTPack.Tenant);
        Assert.True(held.Tenant.Reserved > 0, "the running request holds a reservation");

        int beforeCancel = forwards.Count;
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => task);

        // Counted in forwards, not seconds (a loaded machine makes any time bound flaky): the step in flight when the
        // token fired may finish (at most its conditional and unconditional forwards, and one more step if the count
        // was read just before a step began), then nothing more runs of the 1000 guided steps.
        int afterCancel = forwards.Count - beforeCancel;
        Assert.True(afterCancel <= 4, $"{afterCancel} forwards ran after cancellation");
        await Task.Delay(200);
        Assert.Equal(beforeCancel + afterCancel, forwards.Count);
        var status = await generator.Runtime.Ledger.GetStatusAsync(TinyFlexiDiTPack.Tenant);
        Assert.Equal((0m, 0m), (status.Tenant.Spent, status.Tenant.Reserved));
    }

    [Fact]
    public async Task A_plan_that_runs_out_of_its_SLA_falls_back_to_a_cheaper_one_and_is_charged_what_ran()
    {
        // Slow predictions (100 ms a forward) leave the fallback a reserve of over a second of the SLA; a fake clock
        // lets the test spend the SLA while the 1000-step plan is running.
        var latency = Path.Combine(pack.Root, $"slow-{Guid.NewGuid():N}.json");
        await File.WriteAllTextAsync(latency, """
            { "entries": [ { "patchSize": 2, "batch": 1, "ms": 100 }, { "patchSize": 2, "batch": 16, "ms": 100 },
                           { "patchSize": 4, "batch": 1, "ms": 100 }, { "patchSize": 4, "batch": 16, "ms": 100 } ] }
            """);
        var clock = new FakeTimeProvider();
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions(o =>
        {
            o.LatencyModelPath = latency;
            o.TimeProvider = clock;
        }));
        var task = generator.GenerateImagesAsync(
            "a red circle", new ImageGenerationOptions().WithTaskType("draft").WithMode("full").WithSteps(1000).WithDeadline(TimeSpan.FromSeconds(1000)));
        await WaitUntilRunningAsync(generator);

        clock.Advance(TimeSpan.FromSeconds(999));
        var response = await task.WaitAsync(TimeSpan.FromSeconds(30));

        var report = response.GetFlexiDiTReport()!;
        Assert.True(report.FellBack);
        Assert.Equal(10, report.Steps);
        Assert.Contains("did not finish in time; fell back to", report.Reason, StringComparison.Ordinal);
        Assert.True(report.Cost < report.ReservedCost, $"charged {report.Cost} of {report.ReservedCost} reserved");
        Assert.Equal(generator.Runtime.Policies.Pricing.PriceOf(report.FlopsSpent, 1), report.Cost);
        var status = await generator.Runtime.Ledger.GetStatusAsync(TinyFlexiDiTPack.Tenant);
        Assert.Equal((report.Cost, 0m), (status.Tenant.Spent, status.Tenant.Reserved));
    }

    [Fact]
    public async Task Concurrent_requests_are_batched_together_and_each_is_charged_its_own_cost()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        string[] prompts = ["red circle", "blue square", "green ring", "white cross"];

        var responses = await Task.WhenAll(prompts.Select(p => generator.GenerateImagesAsync(p, new ImageGenerationOptions().WithMode("full"))));

        Assert.Equal(prompts.Select(p => p), responses.Select(r => r.GetFlexiDiTReport()!.ClassName));
        var engine = generator.GetService<GenerationEngine>()!;
        Assert.True(engine.LargestBatch > 2, $"largest batch {engine.LargestBatch}: one request alone is 2 (conditional + guidance)");
        var status = await generator.Runtime.Ledger.GetStatusAsync(TinyFlexiDiTPack.Tenant);
        Assert.Equal(responses.Sum(r => r.GetFlexiDiTReport()!.Cost), status.Tenant.Spent);
    }

    [Fact]
    public async Task Real_forwards_refine_the_latency_model()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        var latency = generator.Runtime.DefaultModel.Latency;
        Assert.DoesNotContain(latency.Snapshot(), m => m.PatchSize == 2 && m.Batch == 2);

        await generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithMode("full"));

        // One guided image is a batch of 2 (conditional + guidance) at patch 2: a size the file never measured.
        var observed = Assert.Single(latency.Snapshot(), m => m.PatchSize == 2 && m.Batch == 2);
        Assert.True(observed.Ms > 0);
    }

    /// <summary>Waits until the generator's engine has run a few forwards; returns the live list of forwards seen.</summary>
    private static async Task<IReadOnlyCollection<ForwardObservation>> WaitUntilRunningAsync(FlexiDiTImageGenerator generator)
    {
        var engine = await WaitForAsync(() => generator.GetService<GenerationEngine>());
        var forwards = new System.Collections.Concurrent.ConcurrentQueue<ForwardObservation>();
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        engine.ForwardCompleted += observation =>
        {
            forwards.Enqueue(observation);
            if (forwards.Count >= 4)
            {
                running.TrySetResult();
            }
        };
        await running.Task.WaitAsync(TimeSpan.FromSeconds(30));
        return forwards;
    }

    private static async Task<T> WaitForAsync<T>(Func<T?> probe)
        where T : class
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            if (probe() is { } value)
            {
                return value;
            }

            await Task.Delay(5);
        }

        throw new TimeoutException("the condition did not hold within 30 s");
    }
}
