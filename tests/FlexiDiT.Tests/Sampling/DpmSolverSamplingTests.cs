using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using FlexiDiT.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Sampling;

/// <summary>DiT and FlexiDiT sampling with a <c>dpm-solver++</c> plan: the plan file, the run, and its guidance.</summary>
public sealed class DpmSolverSamplingTests : IDisposable
{
    private readonly DiT model = DiTCheckpoint.Load(TestPaths.Reference("dit_tiny_a.safetensors"), TestPaths.Reference("dit_tiny_a.json"));

    public void Dispose() => model.Dispose();

    private static PlanSpec Spec(string respacing = "10", int? powerfulCond = null, int? powerfulGuidance = null) => new()
    {
        Name = "dpm", Respacing = respacing, Solver = SolverKind.DpmSolverPlusPlus, GuidanceScale = 4,
        PowerfulCondSteps = powerfulCond, PowerfulGuidanceSteps = powerfulGuidance,
    };

    [Fact]
    public void A_plan_file_names_the_solver_dpm_solver_plus_plus()
    {
        var spec = JsonSerializer.Deserialize<PlanSpec>("""{ "name": "dpm20", "respacing": "20", "solver": "dpm-solver++", "guidanceScale": 4.5 }""")!;
        Assert.Equal(SolverKind.DpmSolverPlusPlus, spec.Solver);
        Assert.Equal(20, spec.Steps);
        string written = JsonSerializer.Serialize(spec);
        Assert.Contains("dpm-solver", written);
        Assert.Equal(SolverKind.DpmSolverPlusPlus, JsonSerializer.Deserialize<PlanSpec>(written)!.Solver);
        Assert.StartsWith("20 DPM-Solver++ steps", spec.Describe());
        // Existing plan files keep their spelling.
        Assert.Equal(SolverKind.Ddim, JsonSerializer.Deserialize<PlanSpec>("""{ "name": "d", "respacing": "ddim10", "solver": "Ddim" }""")!.Solver);
    }

    [Fact]
    public void A_run_equals_the_solver_loop_with_the_eps_half_guided_on_every_channel()
    {
        using var scope = NewDisposeScope();
        long[] labels = [3, 7];
        var result = new Sampler(model).Sample(Spec().Build(model.Config), labels, new SeededNoise(11));

        // By hand, as PixArt-α's DPMS: batch [x; x] with [null; class], keep the ε half, ε_u + s·(ε_c − ε_u) on all channels.
        using var inference = inference_mode();
        var xT = new SeededNoise(11).Initial([2, 4, 16, 16], CPU);
        var y = cat([full(2, (long)model.Config.NullClass), tensor(labels)]);
        using var solver = new DpmSolverPlusPlus(NoiseScheduleVP.Linear(), 10);
        var expected = solver.Sample(xT, (x, t) =>
        {
            var eps = model.Forward(cat([x, x]), cat([t, t]), y)[.., ..4];
            var (uncond, cond) = (eps[..2], eps[2..]);
            return uncond + 4 * (cond - uncond);
        });
        float scale = expected.abs().max().item<float>();
        Assert.True(torch.allclose(result.Samples, expected, rtol: 0, atol: 1e-5 * scale), $"largest difference {(result.Samples - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void A_run_is_deterministic_and_differs_from_ddim()
    {
        using var scope = NewDisposeScope();
        var sampler = new Sampler(model);
        var first = sampler.Sample(Spec("5").Build(model.Config), [1], new SeededNoise(4));
        var second = sampler.Sample(Spec("5").Build(model.Config), [1], new SeededNoise(4));
        var ddim = sampler.Sample(new PlanSpec { Name = "ddim", Respacing = "ddim5", Solver = SolverKind.Ddim, GuidanceScale = 4 }.Build(model.Config), [1], new SeededNoise(4));
        Assert.True(torch.equal(first.Samples, second.Samples).all().item<bool>());
        Assert.True(torch.isfinite(first.Samples).all().item<bool>());
        Assert.False(torch.allclose(first.Samples, ddim.Samples, rtol: 1e-2, atol: 1e-2), "DPM-Solver++ and DDIM take different paths");
    }

    [Fact]
    public void A_flexidit_plan_runs_its_weak_steps_first_and_traces_the_fractional_times_rounded()
    {
        using var scope = NewDisposeScope();
        Flexify.AddWeakPatchSize(model, 4, loraRank: 0);
        var plan = Spec(powerfulCond: 5, powerfulGuidance: 0).Build(model.Config);
        Assert.Equal([4, 4, 4, 4, 4, 2, 2, 2, 2, 2], plan.Steps.Select(s => s.CondPatch));
        var trace = new Sampler(model).Trace(plan, [5, 6], new SeededNoise(2), every: 1);
        Assert.Equal([999L, 899, 799, 699, 599, 500, 400, 300, 200, 100], trace.Frames.Select(f => f.Timestep));
        Assert.True(trace.Result.FlopsSpent < trace.Result.FullComputeFlops, "weak steps must cost less");
        Assert.True(torch.isfinite(trace.Result.Samples).all().item<bool>());
    }

    [Fact]
    public void A_dpm_run_and_a_ddpm_run_batched_into_one_forward_sample_what_they_sample_alone()
    {
        // The engine batches the forwards of concurrent requests: integer and fractional times share a batch.
        using var scope = NewDisposeScope();
        using var inference = inference_mode();
        var ddpmPlan = new PlanSpec { Name = "ddpm", Respacing = "4", GuidanceScale = 4 }.Build(model.Config);
        var dpmPlan = Spec("4").Build(model.Config);
        using var ddpm = new SamplingRun(model.Config, ddpmPlan, [1], new SeededNoise(8), CPU);
        using var dpm = new SamplingRun(model.Config, dpmPlan, [2], new SeededNoise(9), CPU);
        while (!dpm.IsDone)
        {
            var requests = ddpm.PendingForwards().Concat(dpm.PendingForwards()).ToList();
            var outputs = ForwardBatcher.Run(model, requests);
            ddpm.Complete(outputs[..2]);
            dpm.Complete(outputs[2..]);
        }
        var sampler = new Sampler(model);
        AssertSameUpToRounding(ddpm.Current, sampler.Sample(ddpmPlan, [1], new SeededNoise(8)).Samples);
        AssertSameUpToRounding(dpm.Current, sampler.Sample(dpmPlan, [2], new SeededNoise(9)).Samples);
    }

    // A batch changes only how BLAS blocks its products, so batched and lone runs differ by float32 rounding relative to
    // the samples' scale (this random model's guided samples reach |x| ≈ 600: 2–5e-4 apart), not by a fixed amount.
    private static void AssertSameUpToRounding(Tensor batched, Tensor alone)
    {
        double scale = alone.abs().max().item<float>();
        Assert.True(torch.allclose(batched, alone, rtol: 1e-4, atol: 1e-5 * scale), $"batched and lone samples differ by {(batched - alone).abs().max().item<float>():E2} at scale {scale:F1}");
    }

    [Theory]
    [InlineData("ddim10")]
    [InlineData("5,5")]
    public void A_dpm_plan_whose_respacing_is_not_a_step_count_is_refused(string respacing)
    {
        var error = Assert.Throws<ArgumentException>(() => new Sampler(model).Sample(Spec(respacing).Build(model.Config), [1], new SeededNoise(1)));
        Assert.Contains("number of steps", error.Message);
    }
}
