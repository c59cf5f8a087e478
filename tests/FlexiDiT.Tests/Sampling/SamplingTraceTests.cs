using FlexiDiT.Models;
using FlexiDiT.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Sampling;

/// <summary>Tracing a sampling run: what it records, that it changes nothing, and the transposed model frame.</summary>
public sealed class SamplingTraceTests : IDisposable
{
    private readonly DiT model;

    public SamplingTraceTests()
    {
        var config = new DiTConfig { InputSize = 16, PatchSize = 2, InChannels = 3, HiddenSize = 32, Depth = 2, NumHeads = 2, NumClasses = 40, LearnSigma = true };
        model = new DiT(config);
        OfficialInit.Apply(model, new Generator(1));
        // Away from the zero-initialised output layers, so the model's output depends on its input.
        using (torch.no_grad()) foreach (var p in model.parameters()) p.add_(torch.randn(p.shape, generator: new Generator(2)) * 0.05);
        model.eval();
    }

    public void Dispose() => model.Dispose();

    private ComputePlan Plan(string respacing = "10") => new PlanSpec { Name = "full", Respacing = respacing, GuidanceScale = 4, ClipDenoised = true }.Build(model.Config);

    [Fact]
    public void A_trace_records_every_nth_step_and_the_last_and_leaves_the_samples_as_they_were()
    {
        using var scope = NewDisposeScope();
        var sampler = new Sampler(model);
        var plain = sampler.Sample(Plan(), [3, 17], new SeededNoise(5));
        var trace = sampler.Trace(Plan(), [3, 17], new SeededNoise(5), every: 4);

        Assert.Equal([1, 5, 9, 10], trace.Frames.Select(f => f.Step));
        Assert.Equal(999, trace.Frames[0].Timestep);
        Assert.Equal(0, trace.Frames[^1].Timestep);
        Assert.All(trace.Frames, f => Assert.Equal([2L, 3, 16, 16], f.PredictedStart.shape));
        Assert.True(torch.allclose(plain.Samples, trace.Result.Samples, rtol: 0, atol: 0), "tracing must not change the images");
        // The last step (t = 0) adds no noise and its posterior mean is its x0 prediction: the sample itself.
        Assert.True(torch.allclose(trace.Frames[^1].PredictedStart, trace.Result.Samples, rtol: 0, atol: 1e-6));
        Assert.False(torch.allclose(trace.Frames[0].PredictedStart, trace.Result.Samples, rtol: 1e-2, atol: 1e-2), "the first prediction is a blur, not the sample");
        Assert.All(trace.Frames, f => Assert.True(f.PredictedStart.abs().max().item<float>() <= 1f, "a clipping plan clips its x0 predictions"));
    }

    [Fact]
    public void The_transposed_frame_samples_the_mirror_image_of_transposed_noise()
    {
        // Show the model the transposed image, starting from the transposed noise: every step is then the upright
        // step transposed, so the samples are the upright samples transposed (up to float rounding).
        using var scope = NewDisposeScope();
        var generator = new Generator(9);
        var initial = torch.randn([2, 3, 16, 16], generator: generator);
        var perStep = torch.randn([10, 2, 3, 16, 16], generator: generator);
        var sampler = new Sampler(model);
        var upright = sampler.Trace(Plan(), [3, 17], new ReplayedNoise(initial, perStep), every: 1);
        var transposed = sampler.Trace(Plan(), [3, 17], new ReplayedNoise(initial.transpose(2, 3).contiguous(), perStep.transpose(3, 4).contiguous()), every: 1, ModelFrame.Transposed);

        var expected = upright.Result.Samples.transpose(2, 3);
        Assert.True(torch.allclose(transposed.Result.Samples, expected, rtol: 0, atol: 1e-4),
            $"largest difference {(transposed.Result.Samples - expected).abs().max().item<float>()}");
        Assert.False(torch.allclose(upright.Result.Samples, expected, rtol: 0, atol: 1e-2), "the test needs samples that are not their own transpose");
        Assert.Equal(upright.Result.FlopsSpent, transposed.Result.FlopsSpent);
    }

    [Fact]
    public void Recording_fewer_than_every_step_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => new Sampler(model).Trace(Plan(), [1], new SeededNoise(1), every: 0));
        Assert.Contains("N ≥ 1", error.Message);
    }
}
