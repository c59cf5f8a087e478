using System.Diagnostics;
using FlexiDiT.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>Runs a compute plan on a denoiser (a (Flexi)DiT, a PixArt-α), one request at a time.</summary>
public sealed class Sampler(IDenoiser model)
{
    /// <summary>The model.</summary>
    public IDenoiser Model { get; } = model;

    /// <summary>Samples images of <paramref name="classLabels"/> with <paramref name="plan"/>; cancellation is checked every step.</summary>
    public SampleResult Sample(ComputePlan plan, long[] classLabels, INoiseSource noise, CancellationToken cancellationToken = default, IProgress<int>? progress = null) =>
        Run(plan, () => ClassRun(plan, classLabels, noise), ModelFrame.Upright, run => progress?.Report(run.StepsDone), cancellationToken);

    /// <summary>Samples images for <paramref name="condition"/> (labels or captions) with <paramref name="plan"/>.</summary>
    public SampleResult Sample(ComputePlan plan, ModelCondition condition, INoiseSource noise, CancellationToken cancellationToken = default, IProgress<int>? progress = null) =>
        Run(plan, () => new SamplingRun(Model, plan, condition, noise), ModelFrame.Upright, run => progress?.Report(run.StepsDone), cancellationToken);

    /// <summary>
    /// Samples like <see cref="Sample(ComputePlan, long[], INoiseSource, CancellationToken, IProgress{int})"/> and keeps the clean images that every <paramref name="every"/>-th step
    /// predicted (steps 1, 1 + every, ... and the last): how the images take shape, and where an artifact appears.
    /// </summary>
    public SamplingTrace Trace(ComputePlan plan, long[] classLabels, INoiseSource noise, int every, ModelFrame frame = ModelFrame.Upright, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (every < 1) throw new ArgumentOutOfRangeException(nameof(every), every, "Record every N-th step with N ≥ 1.");
        var frames = new List<TraceFrame>();
        var result = Run(plan, () => ClassRun(plan, classLabels, noise), frame, run =>
        {
            if ((run.StepsDone - 1) % every != 0 && !run.IsDone) return;
            var predicted = run.PredictedStart!.cpu().detach().clone();
            frames.Add(new TraceFrame(run.StepsDone, run.LastTimestep, plan.Steps[run.StepsDone - 1].CondPatch, predicted.MoveToOuterDisposeScope()));
        }, cancellationToken);
        return new SamplingTrace(frames, result);
    }

    // Class labels are checked against the DiT's classes; other models take them as a ClassCondition.
    private SamplingRun ClassRun(ComputePlan plan, long[] classLabels, INoiseSource noise) => Model is DiT dit
        ? new SamplingRun(dit.Config, plan, classLabels, noise, dit.Device)
        : new SamplingRun(Model, plan, new ClassCondition(tensor(classLabels)), noise);

    private SampleResult Run(ComputePlan plan, Func<SamplingRun> start, ModelFrame frame, Action<SamplingRun> afterStep, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(plan);
        var watch = Stopwatch.StartNew();
        using var inference = torch.inference_mode();
        using var run = start();
        while (!run.IsDone)
        {
            cancellationToken.ThrowIfCancellationRequested();
            using var scope = torch.NewDisposeScope();
            run.Complete(frame == ModelFrame.Upright ? ForwardBatcher.Run(Model, run.PendingForwards()) : Transposed(run.PendingForwards()));
            afterStep(run);
        }
        return new SampleResult(run.Current.cpu().detach().clone(), run.FlopsSpent, run.FullComputeFlops, watch.Elapsed);
    }

    private Tensor[] Transposed(IReadOnlyList<ForwardRequest> requests) =>
        ForwardBatcher.Run(Model, requests.Select(r => r with { X = r.X.transpose(2, 3) }).ToList())
            .Select(output => output.transpose(2, 3)).ToArray();
}
