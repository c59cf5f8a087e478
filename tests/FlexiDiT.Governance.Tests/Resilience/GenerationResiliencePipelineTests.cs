using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Resilience;
using FlexiDiT.Governance.Tests.Support;
using Microsoft.Extensions.Time.Testing;
using Polly.CircuitBreaker;

namespace FlexiDiT.Governance.Tests.Resilience;

/// <remarks>
/// Times follow from <see cref="TestKnowledge"/>: a slide (SLA 2000 ms) is approved as weak-first-60 (~580 ms); the
/// fastest cheaper plan, fast-20, takes ~120 ms, so the approved plan gets 2000 − 1.25 × 120 = 1850 ms and a
/// fallback the remaining 150 ms.
/// </remarks>
public sealed class GenerationResiliencePipelineTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly ComputePolicyEngine policy = TestKnowledge.Engine();
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2025, 3, 14, 9, 0, 0, TimeSpan.Zero));
    private readonly List<IDisposable> pipelines = [];

    public void Dispose() => pipelines.ForEach(p => p.Dispose());

    [Fact]
    public async Task Execute_runs_the_approved_plan_with_its_time_budget()
    {
        var pipeline = Pipeline();
        var engine = ScriptedEngine.Instant();

        var outcome = await pipeline.ExecuteAsync(Approve("slide"), engine.RunAsync);

        Assert.Equal("weak-first-60", outcome.Value);
        Assert.False(outcome.Attempt.IsFallback);
        Assert.Same(outcome.Approval.Plan, outcome.Attempt.Plan);
        Assert.Equal(TimeSpan.FromMilliseconds(1850), Assert.Single(engine.Attempts).TimeBudget);
    }

    [Fact]
    public async Task A_timeout_falls_back_to_a_cheaper_plan_that_fits_the_time_left()
    {
        var pipeline = Pipeline();
        var engine = ScriptedEngine.HangsOn("weak-first-60");

        var running = pipeline.ExecuteAsync(Approve("slide"), engine.RunAsync).AsTask();
        await engine.WaitForStartAsync();
        clock.Advance(TimeSpan.FromMilliseconds(1849));
        Assert.False(running.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        var outcome = await running.WaitAsync(Patience);

        Assert.Equal("fast-20", outcome.Value);
        Assert.True(outcome.Attempt.IsFallback);
        Assert.True(outcome.Approval.Degraded);
        Assert.Equal(0.1m, outcome.Approval.Cost);
        Assert.Contains("fell back to fast-20", outcome.Approval.Reason);
        Assert.Equal(["weak-first-60", "fast-20"], engine.Attempts.Select(a => a.Plan.Name));
        Assert.Equal(TimeSpan.FromMilliseconds(150), engine.Attempts.Last().TimeBudget);
        Assert.Equal(TimeSpan.FromMilliseconds(1850), outcome.Elapsed);
    }

    [Fact]
    public async Task A_timeout_of_the_fallback_too_ends_at_the_SLA_with_a_timeout_error()
    {
        var pipeline = Pipeline();
        var engine = ScriptedEngine.HangsOn("weak-first-60", "fast-20");

        var running = pipeline.ExecuteAsync(Approve("slide"), engine.RunAsync).AsTask();
        await engine.WaitForStartAsync();
        clock.Advance(TimeSpan.FromMilliseconds(1850));
        await engine.WaitForStartAsync();
        clock.Advance(TimeSpan.FromMilliseconds(149));
        Assert.False(running.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        var ex = await Assert.ThrowsAsync<GenerationTimeoutException>(() => running.WaitAsync(Patience));
        Assert.Equal("fast-20", ex.PlanName);
        Assert.Equal(TimeSpan.FromMilliseconds(2000), ex.Sla);
        Assert.Contains("the fallback did not finish either", ex.Message);
    }

    [Fact]
    public async Task A_timeout_of_a_task_that_may_not_degrade_fails_at_the_SLA()
    {
        var pipeline = Pipeline();
        var engine = ScriptedEngine.HangsOn("weak-first-40");

        var running = pipeline.ExecuteAsync(Approve("ad-creative"), engine.RunAsync).AsTask();
        await engine.WaitForStartAsync();
        clock.Advance(TimeSpan.FromMilliseconds(4999));
        Assert.False(running.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        var ex = await Assert.ThrowsAsync<GenerationTimeoutException>(() => running.WaitAsync(Patience));
        Assert.Equal("ad-creative: weak-first-40 did not finish within the 5000 ms SLA (5000 ms spent) and 'ad-creative' may not degrade", ex.Message);
        Assert.Equal(1, engine.Calls);
    }

    [Fact]
    public async Task A_timeout_with_no_cheaper_plan_left_fails_at_the_SLA()
    {
        var pipeline = Pipeline();
        var engine = ScriptedEngine.HangsOn("fast-20");

        var running = pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync).AsTask();
        await engine.WaitForStartAsync();
        clock.Advance(TimeSpan.FromMilliseconds(500));

        var ex = await Assert.ThrowsAsync<GenerationTimeoutException>(() => running.WaitAsync(Patience));
        Assert.Contains("no cheaper plan is predicted to finish in the 0 ms left", ex.Message);
    }

    [Fact]
    public async Task The_limiter_queues_up_to_its_limit_and_rejects_beyond_it_as_busy()
    {
        var pipeline = Pipeline(o =>
        {
            o.MaxConcurrentGenerations = 1;
            o.MaxQueuedGenerations = 1;
            o.BusyRetryAfter = TimeSpan.FromSeconds(3);
        });
        var gate = new TaskCompletionSource();
        var engine = new ScriptedEngine(async (a, _) =>
        {
            await gate.Task;
            return a.Plan.Name;
        });
        var relaxed = Approve("draft") with { SlaMs = 60_000 };

        var first = pipeline.ExecuteAsync(relaxed, engine.RunAsync).AsTask();
        await engine.WaitForStartAsync();
        var queued = pipeline.ExecuteAsync(relaxed, engine.RunAsync).AsTask();
        var busy = await Assert.ThrowsAsync<EngineBusyException>(() => pipeline.ExecuteAsync(relaxed, engine.RunAsync).AsTask());

        Assert.Equal(TimeSpan.FromSeconds(3), busy.RetryAfter);
        Assert.False(queued.IsCompleted);
        Assert.Equal(1, engine.Calls);
        gate.SetResult();
        await Task.WhenAll(first, queued).WaitAsync(Patience);
        Assert.Equal(2, engine.Calls);
    }

    [Fact]
    public async Task In_the_limiter_time_spent_queueing_counts_against_the_SLA()
    {
        var pipeline = Pipeline(o => o.MaxConcurrentGenerations = 1);
        var gate = new TaskCompletionSource();
        var engine = new ScriptedEngine(async (a, _) =>
        {
            await gate.Task;
            return a.Plan.Name;
        });

        var first = pipeline.ExecuteAsync(Approve("draft") with { SlaMs = 60_000 }, engine.RunAsync).AsTask();
        await engine.WaitForStartAsync();
        var queued = pipeline.ExecuteAsync(Approve("draft") with { SlaMs = 1000 }, engine.RunAsync).AsTask();
        clock.Advance(TimeSpan.FromMilliseconds(999));
        Assert.False(queued.IsCompleted);
        clock.Advance(TimeSpan.FromMilliseconds(1));

        var ex = await Assert.ThrowsAsync<GenerationTimeoutException>(() => queued.WaitAsync(Patience));
        Assert.Contains("ran out while waiting for the engine", ex.Message);
        Assert.False(first.IsCompleted);
        gate.SetResult();
        await first.WaitAsync(Patience);
        Assert.Equal(1, engine.Calls);
    }

    [Fact]
    public async Task In_the_limiter_a_caller_cancelling_while_queued_is_a_cancellation()
    {
        var pipeline = Pipeline(o => o.MaxConcurrentGenerations = 1);
        var gate = new TaskCompletionSource();
        var engine = new ScriptedEngine(async (a, _) =>
        {
            await gate.Task;
            return a.Plan.Name;
        });
        using var cancel = new CancellationTokenSource();

        var first = pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync).AsTask();
        await engine.WaitForStartAsync();
        var queued = pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync, cancel.Token).AsTask();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued.WaitAsync(Patience));
        gate.SetResult();
        await first.WaitAsync(Patience);
    }

    public static TheoryData<string> EngineFaults => new() { "missing-model", "out-of-memory", "engine-fault" };

    [Theory]
    [MemberData(nameof(EngineFaults))]
    public async Task The_circuit_breaker_opens_on_engine_faults_and_fails_fast_with_the_cause(string kind)
    {
        var pipeline = Pipeline();
        Func<Exception> fault = kind switch
        {
            "missing-model" => () => new FileNotFoundException("model not found", "models/shapes.safetensors"),
            "out-of-memory" => () => new OutOfMemoryException("no memory for activations"),
            _ => () => new EngineFaultException("NaN in the denoiser output"),
        };
        var engine = ScriptedEngine.Throws(fault);
        var expectedType = fault().GetType();

        for (var i = 0; i < 2; i++)
        {
            var raw = await Assert.ThrowsAnyAsync<Exception>(() => pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync).AsTask());
            Assert.IsType(expectedType, raw);
        }

        var unavailable = await Assert.ThrowsAsync<EngineUnavailableException>(() => pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync).AsTask());

        Assert.IsType(expectedType, unavailable.InnerException);
        Assert.Equal(TimeSpan.FromSeconds(30), unavailable.RetryAfter);
        Assert.Equal(2, engine.Calls);
        Assert.Equal(CircuitState.Open, pipeline.CircuitState);
    }

    [Fact]
    public async Task The_circuit_breaker_lets_a_trial_through_after_the_break_and_closes_on_success()
    {
        var pipeline = Pipeline();
        var healthy = false;
        var engine = new ScriptedEngine((a, _) => healthy ? Task.FromResult(a.Plan.Name) : throw new FileNotFoundException("model not found"));
        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<FileNotFoundException>(() => pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync).AsTask());
        }

        healthy = true;
        await Assert.ThrowsAsync<EngineUnavailableException>(() => pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync).AsTask());
        clock.Advance(TimeSpan.FromSeconds(30));
        var outcome = await pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync);

        Assert.Equal("fast-20", outcome.Value);
        Assert.Equal(CircuitState.Closed, pipeline.CircuitState);
    }

    [Fact]
    public async Task The_circuit_breaker_does_not_count_caller_cancellations()
    {
        var pipeline = Pipeline();
        var engine = ScriptedEngine.HangsOn("fast-20");

        for (var i = 0; i < 4; i++)
        {
            using var cancel = new CancellationTokenSource();
            var running = pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync, cancel.Token).AsTask();
            await engine.WaitForStartAsync();
            await cancel.CancelAsync();
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Patience));
        }

        Assert.Equal(CircuitState.Closed, pipeline.CircuitState);
        Assert.Equal(4, engine.Calls);
    }

    [Fact]
    public async Task The_circuit_breaker_ignores_failures_of_the_request_rather_than_the_engine()
    {
        var pipeline = Pipeline();
        var engine = ScriptedEngine.Throws(() => new ArgumentException("prompt too long"));

        for (var i = 0; i < 4; i++)
        {
            await Assert.ThrowsAsync<ArgumentException>(() => pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync).AsTask());
        }

        Assert.Equal(CircuitState.Closed, pipeline.CircuitState);
        Assert.Equal(4, engine.Calls);
    }

    [Fact]
    public async Task The_circuit_breaker_uses_the_configured_fault_classification()
    {
        var pipeline = Pipeline(o => o.IsEngineFault = ex => ex is InvalidOperationException);
        var engine = ScriptedEngine.Throws(() => new InvalidOperationException("device lost"));

        for (var i = 0; i < 2; i++)
        {
            await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync).AsTask());
        }

        await Assert.ThrowsAsync<EngineUnavailableException>(() => pipeline.ExecuteAsync(Approve("draft"), engine.RunAsync).AsTask());
    }

    [Fact]
    public void The_options_are_validated_when_the_pipeline_is_built()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Pipeline(o => o.MaxConcurrentGenerations = 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pipeline(o => o.CircuitMinimumThroughput = 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => Pipeline(o => o.FallbackReserveFactor = 0.5));
    }

    private PolicyApproval Approve(string task) =>
        Assert.IsType<PolicyApproval>(policy.Decide(new PolicyRequest { TaskType = task, TenantId = "studio", RemainingBudget = 1000 }));

    private GenerationResiliencePipeline<string> Pipeline(Action<GenerationResilienceOptions>? configure = null)
    {
        var options = new GenerationResilienceOptions
        {
            MaxConcurrentGenerations = 2,
            MaxQueuedGenerations = 4,
            CircuitFailureRatio = 0.5,
            CircuitMinimumThroughput = 2,
            CircuitSamplingDuration = TimeSpan.FromMinutes(1),
            CircuitBreakDuration = TimeSpan.FromSeconds(30),
        };
        configure?.Invoke(options);
        var pipeline = new GenerationResiliencePipeline<string>(options, policy, clock);
        pipelines.Add(pipeline);
        return pipeline;
    }
}
