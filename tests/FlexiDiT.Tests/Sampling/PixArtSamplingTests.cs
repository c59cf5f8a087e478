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
        StepTogether(model, run1, run2, o => batches.Add(o.Batch));

        Assert.All(batches, b => Assert.Equal(6, b)); // (1 + 2 images) × (conditional + null caption), one call per step
        Assert.True(torch.allclose(run1.Current, alone1, rtol: 1e-4, atol: 1e-4));
        Assert.True(torch.allclose(run2.Current, alone2, rtol: 1e-4, atol: 1e-4));
        // Each branch computes its captions' keys and values at the first step and keeps them for the other three.
        Assert.Equal((4 * 2 * model.Config.Flops(2, 2)) - (3 * 2 * model.Config.ConditionFlops(2, 2)), run2.FlopsSpent);
    }

    [Fact]
    public void A_run_keeps_each_caption_s_keys_and_values_per_patch_size_and_gives_the_bits_of_recomputing_them()
    {
        using var model = PixArtCheckpoint.Load(TestPaths.Reference("pixart_tiny_a.safetensors"), TestPaths.Reference("pixart_tiny_a.json"));
        Flexify.AddWeakPatchSize(model, 4, loraRank: 2);
        using (torch.no_grad())
        {
            // Adapters that change the caption's keys and values at the weak size (trained ones do; fresh ones are zero).
            var generator = new Generator(5);
            foreach (var (name, parameter) in model.named_parameters().Where(p => p.name.Contains(".lora.", StringComparison.Ordinal)))
                parameter.copy_(torch.randn(parameter.shape, generator: generator) * 0.2);
        }

        model.MergeAdapters();
        var plan = ComputePlan.WeakFirst("weak", "ddim6", 2, 4, powerfulCondSteps: 3, powerfulGuidanceSteps: 2, guidanceScale: 4.5, solver: SolverKind.Ddim);
        var captions = new Generator(6);
        using var caption = new CaptionCondition(torch.randn([2, 8, 32], generator: captions), tensor(new long[,] { { 1, 1, 1, 1, 1, 0, 0, 0 }, { 1, 1, 1, 1, 1, 1, 1, 1 } }));
        // Shorter than model_max_length: guided by its own negative prompt (the null caption has 8 tokens).
        using var shorter = new CaptionCondition(torch.randn([1, 5, 32], generator: captions), tensor(new long[,] { { 1, 1, 1, 0, 0 } }),
            new CaptionCondition(torch.randn([1, 5, 32], generator: captions), tensor(new long[,] { { 1, 1, 0, 0, 0 } })));

        var kept = new Sampler(model).Sample(plan, caption, new SeededNoise(7));
        var recomputed = new Sampler(new RecomputingCaptions(model)).Sample(plan, caption, new SeededNoise(7));

        Assert.True(kept.Samples.equal(recomputed.Samples).all().item<bool>(), $"max |Δ| {(kept.Samples - recomputed.Samples).abs().max().item<float>()}");
        Assert.Equal(SamplingRun.PlanFlops(model.Config, plan, 2), kept.FlopsSpent);
        // Per image: 6 steps × 2 forwards, of which 4 compute captions: each branch once at patch 4 and once at patch 2.
        long everyStep = plan.Steps.SelectMany(plan.ForwardPatches).Sum(p => model.Config.Flops(p, 2));
        long keptOnce = plan.Steps.SelectMany(plan.ForwardPatches).Sum(p => model.Config.ConditionFlops(p, 2))
            - (2 * (model.Config.ConditionFlops(2, 2) + model.Config.ConditionFlops(4, 2)));
        Assert.Equal(everyStep - keptOnce, kept.FlopsSpent);

        // Two runs with captions of 8 and 5 tokens batched step by step: the shorter one's keys and values are padded.
        using var _ = torch.inference_mode();
        using var run1 = new SamplingRun(model, plan, caption, new SeededNoise(7));
        using var run2 = new SamplingRun(model, plan, shorter, new SeededNoise(8));
        var keptPatchSizes = new List<int>();
        StepTogether(model, run1, run2, afterStep: () => keptPatchSizes.Add(((CaptionCondition)run1.Condition).Cache!.Count));

        // The conditional branch runs patch 4 for 3 steps, then patch 2: each is freed after its last step.
        Assert.Equal([1, 1, 0, 1, 1, 0], keptPatchSizes);
        var alone = new Sampler(new RecomputingCaptions(model)).Sample(plan, shorter, new SeededNoise(8)).Samples;
        Assert.True(torch.allclose(run1.Current, kept.Samples, rtol: 1e-5, atol: 1e-5), $"max |Δ| {(run1.Current - kept.Samples).abs().max().item<float>()}");
        Assert.True(torch.allclose(run2.Current, alone, rtol: 1e-5, atol: 1e-5), $"max |Δ| {(run2.Current - alone).abs().max().item<float>()}");
    }

    // Two runs of one plan, their forwards batched step by step as the engine batches requests.
    private static void StepTogether(IDenoiser model, SamplingRun run1, SamplingRun run2, Action<ForwardObservation>? observe = null, Action? afterStep = null)
    {
        while (!run1.IsDone)
        {
            var requests = run1.PendingForwards().Concat(run2.PendingForwards()).ToList();
            var outputs = ForwardBatcher.Run(model, requests, observe);
            int split = run1.PendingForwards().Count;
            run1.Complete(outputs[..split]);
            run2.Complete(outputs[split..]);
            afterStep?.Invoke();
        }
    }

    // PixArt through its tensor forward, which computes the caption's keys and values at every call.
    private sealed class RecomputingCaptions(PixArt model) : IDenoiser
    {
        public IDenoiserGeometry Geometry => model.Geometry;

        public Device Device => model.Device;

        public Tensor Forward(Tensor x, Tensor t, ModelCondition condition, int patchSize)
        {
            var caption = ModelCondition.As<CaptionCondition>(condition);
            return model.Forward(x, t, caption.Features, caption.Mask, patchSize);
        }

        public ModelCondition? NullCondition(ModelCondition condition) => model.NullCondition(condition);
    }
}
