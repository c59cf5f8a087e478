using FlexiDiT.Diffusion;
using FlexiDiT.Engine;
using FlexiDiT.Models;
using FlexiDiT.Packs;
using FlexiDiT.Sampling;
using FlexiDiT.Testing;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Engine;

/// <summary>The continuous-batching engine: batched results equal one-at-a-time results; cancellation is prompt.</summary>
public sealed class GenerationEngineTests : IDisposable
{
    // The shared tiny class pack with the engine's plans, and a LoRA on the weak patch as the shipped model has.
    private readonly TinyFlexiDiTPack fixture = TinyFlexiDiTPack.Create(PackKind.Class,
    [
        new() { Name = "full", Respacing = "8" },
        new() { Name = "weak", Respacing = "8", PowerfulCondSteps = 4, PowerfulGuidanceSteps = 0, WeakGuidance = true },
        new() { Name = "half", Respacing = "4" },
        new() { Name = "long", Respacing = "400" },
        new() { Name = "late-unguided", Respacing = "8", UnguidedLastSteps = 3 },
        new() { Name = "unguided", Respacing = "8", UnguidedLastSteps = 8 },
        new() { Name = "no-guidance", Respacing = "8", GuidanceScale = 1 },
        new() { Name = "fixed-small", Respacing = "8", Variance = VarianceKind.FixedSmall },
    ], loraRank: 2);

    private readonly ModelPack pack;

    public GenerationEngineTests() => pack = ModelPack.Load(fixture.PackFolder);

    public void Dispose() => fixture.Dispose();

    [Fact]
    public async Task A_plan_can_replace_the_learned_variance_with_a_fixed_one_at_the_same_cost()
    {
        Assert.Null(pack.Plan("full").Variance);
        Assert.Equal(VarianceKind.FixedSmall, pack.Plan("fixed-small").Variance);
        Assert.Contains("FixedSmall variance", pack.Plan("fixed-small").Describe());
        using var engine = new GenerationEngine(pack);
        var learned = await engine.GenerateAsync(new GenerationJob([3], pack.Plan("full"), 21));
        var fixedSmall = await engine.GenerateAsync(new GenerationJob([3], pack.Plan("fixed-small"), 21));
        Assert.Equal(learned.FlopsSpent, fixedSmall.FlopsSpent);
        Assert.False(torch.allclose(learned.Samples, fixedSmall.Samples, rtol: 1e-3, atol: 1e-3), "same noise, different variance: the images must differ");
    }

    [Fact]
    public void A_learned_variance_on_a_model_without_learned_sigma_is_a_clear_error()
    {
        var config = new DiTConfig { InputSize = 8, PatchSize = 2, InChannels = 3, HiddenSize = 16, Depth = 1, NumHeads = 2, NumClasses = 4, LearnSigma = false };
        var plan = new PlanSpec { Name = "learned", Respacing = "4", Variance = VarianceKind.LearnedRange }.Build(config);
        var error = Assert.Throws<ArgumentException>(() => new SamplingRun(config, plan, [1], new SeededNoise(1), CPU));
        Assert.Contains("does not learn sigma", error.Message);
    }

    [Fact]
    public async Task Concurrent_jobs_are_batched_and_give_the_same_images_as_one_at_a_time()
    {
        var jobs = new[]
        {
            new GenerationJob([0, 5], pack.Plan("full"), 11),
            new GenerationJob([7], pack.Plan("weak"), 12),
            new GenerationJob([39, 39, 2], pack.Plan("full"), 13),
            new GenerationJob([8], pack.Plan("late-unguided"), 14),
        };
        using var engine = new GenerationEngine(pack);
        var alone = new List<GenerationResult>();
        foreach (var job in jobs) alone.Add(await engine.GenerateAsync(job));
        int largestAlone = engine.LargestBatch;
        var together = await Task.WhenAll(jobs.Select(j => engine.GenerateAsync(j)));

        Assert.True(engine.LargestBatch > largestAlone, $"largest batch {engine.LargestBatch} alone {largestAlone}");
        for (int i = 0; i < jobs.Length; i++)
        {
            Assert.True(torch.allclose(alone[i].Samples, together[i].Samples, rtol: 1e-4, atol: 1e-4), $"job {i} differs when batched");
            Assert.Equal(alone[i].FlopsSpent, together[i].FlopsSpent);
        }
        Assert.True(together[1].FlopsSpent < together[1].FullComputeFlops);
        Assert.Equal(together[0].FlopsSpent, together[0].FullComputeFlops);
        Assert.Equal(4, together[1].WeakSteps);
    }

    [Fact]
    public async Task Flops_saved_are_counted_against_the_packs_full_compute_mode()
    {
        using var engine = new GenerationEngine(pack);
        long fullPerImage = SamplingRun.PlanFlops(engine.Config, pack.Plan("full").Build(engine.Config), 1);

        var half = await engine.GenerateAsync(new GenerationJob([3, 4], pack.Plan("half"), 5));   // 4 of full's 8 steps
        var full = await engine.GenerateAsync(new GenerationJob([3, 4], pack.Plan("full"), 5));

        Assert.Equal(2 * fullPerImage, half.FullComputeFlops);
        Assert.Equal(fullPerImage, half.FlopsSaved);
        Assert.Equal(0, full.FlopsSaved);
    }

    [Fact]
    public async Task Unguided_steps_skip_the_guidance_forward()
    {
        using var engine = new GenerationEngine(pack);
        var unguided = await engine.GenerateAsync(new GenerationJob([3, 4], pack.Plan("unguided"), 5));
        var noGuidance = await engine.GenerateAsync(new GenerationJob([3, 4], pack.Plan("no-guidance"), 5));
        var late = await engine.GenerateAsync(new GenerationJob([3, 4], pack.Plan("late-unguided"), 5));
        var full = await engine.GenerateAsync(new GenerationJob([3, 4], pack.Plan("full"), 5));

        // Every step unguided is sampling without guidance, at half the cost of guided sampling.
        Assert.True(torch.allclose(unguided.Samples, noGuidance.Samples, rtol: 1e-5, atol: 1e-5));
        Assert.Equal(full.FullComputeFlops / 2, unguided.FlopsSpent);
        // Three of eight steps unguided save three of sixteen forwards.
        Assert.Equal(full.FullComputeFlops * 3 / 16, late.FlopsSaved);
        Assert.False(torch.allclose(late.Samples, full.Samples, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public async Task A_cancelled_job_stops_within_a_step_and_others_continue()
    {
        using var engine = new GenerationEngine(pack);
        int forwards = 0;
        using var cts = new CancellationTokenSource();
        engine.ForwardCompleted += _ => { if (Interlocked.Increment(ref forwards) == 3) cts.Cancel(); };
        var doomed = engine.GenerateAsync(new GenerationJob([1], pack.Plan("long"), 1), cts.Token);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => doomed);
        Assert.InRange(Volatile.Read(ref forwards), 3, 5);
        var next = await engine.GenerateAsync(new GenerationJob([1], pack.Plan("full"), 1));
        Assert.Equal(new long[] { 1, 3, 32, 32 }, next.Samples.shape);
    }

    [Fact]
    public async Task Same_seed_and_plan_give_the_same_images()
    {
        using var engine = new GenerationEngine(pack);
        var a = await engine.GenerateAsync(new GenerationJob([3], pack.Plan("weak"), 5));
        var b = await engine.GenerateAsync(new GenerationJob([3], pack.Plan("weak"), 5));
        var c = await engine.GenerateAsync(new GenerationJob([3], pack.Plan("weak"), 6));
        Assert.True(a.Samples.equal(b.Samples).all().item<bool>());
        Assert.False(a.Samples.equal(c.Samples).all().item<bool>());
    }

    [Fact]
    public void Bad_jobs_fail_fast_with_clear_errors()
    {
        using var engine = new GenerationEngine(pack);
        // Thrown synchronously, before anything is queued.
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = engine.GenerateAsync(new GenerationJob([40], pack.Plan("full"), 1)); });
        Assert.Contains("0..39", e.Message);
        var p = Assert.Throws<ArgumentException>(() => pack.Plan("turbo"));
        Assert.Contains("full, weak, half, long, late-unguided", p.Message);
    }

    [Fact]
    public async Task An_accepted_class_job_gives_the_images_the_sampler_gives_for_the_same_labels_and_seed()
    {
        using var engine = new GenerationEngine(pack);
        var model = pack.LoadDenoiser(CPU);
        try
        {
            var plan = pack.Plan("weak");
            var expected = new Sampler(model).Sample(plan.Build(model.Geometry), [3, 39], new SeededNoise(17)).Samples;

            var result = await engine.GenerateAsync(new GenerationJob([3, 39], plan, 17));

            Assert.True(torch.allclose(expected, result.Samples, rtol: 1e-5, atol: 1e-5), "the engine's class run differs from the sampler's");
        }
        finally
        {
            ((IDisposable)model).Dispose();
        }
    }

    [Fact]
    public void Labels_outside_the_model_are_refused_with_the_same_message_by_the_engine_and_by_a_sampling_run()
    {
        using var engine = new GenerationEngine(pack);
        var plan = pack.Plan("full").Build(engine.Config);

        var byEngine = Assert.Throws<ArgumentOutOfRangeException>(() => { _ = engine.GenerateAsync(new GenerationJob([2, -1], pack.Plan("full"), 1)); });
        var byRun = Assert.Throws<ArgumentOutOfRangeException>(() => new SamplingRun(engine.Config, plan, [40], new SeededNoise(1), CPU));
        var empty = Assert.Throws<ArgumentException>(() => { _ = engine.GenerateAsync(new GenerationJob([], pack.Plan("full"), 1)); });

        Assert.StartsWith("Class -1 is outside the model's 0..39.", byEngine.Message, StringComparison.Ordinal);
        Assert.StartsWith("Class 40 is outside the model's 0..39.", byRun.Message, StringComparison.Ordinal);
        Assert.Equal(-1L, byEngine.ActualValue);
        Assert.StartsWith("A job needs at least one image.", empty.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_job_that_fails_its_batch_fails_alone_and_the_others_finish()
    {
        using var engine = new GenerationEngine(pack);
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int? limit = null;
        bool hold = false, batchFailed = false;
        engine.ForwardCompleted += o =>
        {
            if (hold)
            {
                // Keep the worker in the small job's first step until the big job is queued, so they share the next.
                hold = false;
                entered.Set();
                release.Wait();
            }
            if (limit is { } l && o.Batch > l)
            {
                batchFailed |= o.Batch > 2 * l;
                throw new InvalidOperationException("simulated out of memory");
            }
        };
        var small = new GenerationJob([3], pack.Plan("full"), 5);
        var reference = await engine.GenerateAsync(small);
        limit = engine.LargestBatch; // the small job fits; the big one (4 images) does not, alone or batched

        hold = true;
        var smallAgain = engine.GenerateAsync(small);
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));
        var big = engine.GenerateAsync(new GenerationJob([1, 2, 3, 4], pack.Plan("full"), 6));
        release.Set();

        var survived = await smallAgain;
        var failed = await Assert.ThrowsAsync<InvalidOperationException>(() => big);
        Assert.True(batchFailed, "the two jobs never shared a batch");
        Assert.Equal("simulated out of memory", failed.Message);
        Assert.True(torch.allclose(reference.Samples, survived.Samples, rtol: 1e-4, atol: 1e-4));
    }

    [Fact]
    public async Task Dispose_cancels_running_and_queued_jobs_instead_of_finishing_them()
    {
        var engine = new GenerationEngine(pack);
        using var entered = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        int forwards = 0;
        engine.ForwardCompleted += _ =>
        {
            if (Interlocked.Increment(ref forwards) == 1)
            {
                entered.Set();
                release.Wait();
            }
        };
        var running = engine.GenerateAsync(new GenerationJob([1], pack.Plan("long"), 1));
        Assert.True(entered.Wait(TimeSpan.FromSeconds(30)));
        var queued = engine.GenerateAsync(new GenerationJob([2], pack.Plan("long"), 2));

        var disposing = Task.Run(engine.Dispose);
        release.Set();
        await disposing.WaitAsync(TimeSpan.FromSeconds(60));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running);
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        Assert.True(Volatile.Read(ref forwards) < 400, "the running job was run to the end"); // "long" has 400 steps
        Assert.Throws<ObjectDisposedException>(() => { _ = engine.GenerateAsync(new GenerationJob([1], pack.Plan("full"), 1)); });
    }
}
