using System.Diagnostics;
using FlexiDiT.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>The outcome of sampling: the samples and what they cost.</summary>
/// <param name="Samples">The final samples (N, C, H, W), on the CPU.</param>
/// <param name="FlopsSpent">FLOPs the plan spent (2 per multiply-add).</param>
/// <param name="FullComputeFlops">FLOPs the same steps would have spent all at the powerful patch size.</param>
/// <param name="Elapsed">Wall time.</param>
public sealed record SampleResult(Tensor Samples, long FlopsSpent, long FullComputeFlops, TimeSpan Elapsed);

/// <summary>Runs a compute plan on a (Flexi)DiT, one request at a time.</summary>
public sealed class Sampler(DiT model)
{
    /// <summary>The model.</summary>
    public DiT Model { get; } = model;

    /// <summary>Samples images of <paramref name="classLabels"/> with <paramref name="plan"/>; cancellation is checked every step.</summary>
    public SampleResult Sample(ComputePlan plan, long[] classLabels, INoiseSource noise, CancellationToken cancellationToken = default, IProgress<int>? progress = null)
    {
        var watch = Stopwatch.StartNew();
        var device = Model.PatchEmbedder.Proj.weight!.device;
        using var inference = torch.inference_mode();
        using var run = new SamplingRun(Model.Config, plan, classLabels, noise, device);
        while (!run.IsDone)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            run.Complete(ForwardBatcher.Run(Model, run.PendingForwards()));
            progress?.Report(run.StepsDone);
        }
        return new SampleResult(run.Current.cpu().detach().clone(), run.FlopsSpent, run.FullComputeFlops, watch.Elapsed);
    }
}
