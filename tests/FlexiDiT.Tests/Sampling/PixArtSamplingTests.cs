using FlexiDiT.Checkpoints;
using FlexiDiT.Models;
using FlexiDiT.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Sampling;

/// <summary>The shared sampling code runs PixArt-α like DiT: plans, guidance, FLOPs and batching across requests.</summary>
public class PixArtSamplingTests
{
    [Fact]
    public void Forwards_of_two_caption_requests_batch_into_one_call_and_give_each_its_own_images()
    {
        using var model = PixArtCheckpoint.Load(TestPaths.Reference("pixart_tiny_a.safetensors"), TestPaths.Reference("pixart_tiny_a.json"));
        var plan = ComputePlan.Full("ddim4", "ddim4", 2, 4.5, SolverKind.Ddim);
        var generator = new Generator(3);
        using var first = new CaptionCondition(torch.randn([1, 8, 32], generator: generator), tensor(new long[,] { { 1, 1, 1, 0, 0, 0, 0, 0 } }));
        using var second = new CaptionCondition(torch.randn([2, 8, 32], generator: generator), tensor(new long[,] { { 1, 1, 1, 1, 1, 1, 1, 1 }, { 1, 0, 0, 0, 0, 0, 0, 0 } }));
        var alone1 = new Sampler(model).Sample(plan, first, new SeededNoise(11)).Samples;
        var alone2 = new Sampler(model).Sample(plan, second, new SeededNoise(12)).Samples;

        using var _ = torch.inference_mode();
        using var run1 = new SamplingRun(model, plan, first, new SeededNoise(11));
        using var run2 = new SamplingRun(model, plan, second, new SeededNoise(12));
        var batches = new List<int>();
        while (!run1.IsDone)
        {
            var requests = run1.PendingForwards().Concat(run2.PendingForwards()).ToList();
            var outputs = ForwardBatcher.Run(model, requests, o => batches.Add(o.Batch));
            int split = run1.PendingForwards().Count;
            run1.Complete(outputs[..split]);
            run2.Complete(outputs[split..]);
        }

        Assert.All(batches, b => Assert.Equal(6, b)); // (1 + 2 images) × (conditional + null caption), one call per step
        Assert.True(torch.allclose(run1.Current, alone1, rtol: 1e-4, atol: 1e-4));
        Assert.True(torch.allclose(run2.Current, alone2, rtol: 1e-4, atol: 1e-4));
        Assert.Equal(4 * 2 * model.Config.Flops(2, 2), run2.FlopsSpent);
    }
}
