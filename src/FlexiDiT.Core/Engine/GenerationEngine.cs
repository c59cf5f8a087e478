using System.Diagnostics;
using System.Threading.Channels;
using FlexiDiT.Models;
using FlexiDiT.Packs;
using FlexiDiT.Sampling;
using FlexiDiT.TextEncoders;
using FlexiDiT.Vae;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Engine;

/// <summary>
/// Runs generation jobs on one loaded model with continuous batching: a single worker thread advances
/// every active job one denoising step at a time, and the forwards of all jobs that are at the same patch
/// size go through the model as one batch. Jobs join and leave between steps, a cancelled job stops at
/// the next step boundary, and the model is only ever touched by the worker (so callers need no locks).
/// </summary>
public sealed class GenerationEngine : IDisposable
{
    // A job the engine checked at GenerateAsync, with the plan built for this model: the worker trusts both.
    private sealed record Accepted(GenerationJob Job, ComputePlan Plan, TaskCompletionSource<GenerationResult> Completion, CancellationToken Token);

    private sealed class Active(GenerationJob job, SamplingRun run, TaskCompletionSource<GenerationResult> completion, CancellationToken cancellationToken)
    {
        public GenerationJob Job { get; } = job;
        public SamplingRun Run { get; } = run;
        public TaskCompletionSource<GenerationResult> Completion { get; } = completion;
        public CancellationToken CancellationToken { get; } = cancellationToken;
        public Stopwatch Watch { get; } = Stopwatch.StartNew();
    }

    private readonly Channel<Accepted> queue = Channel.CreateUnbounded<Accepted>();
    private readonly CancellationTokenSource stopping = new();
    private readonly IDenoiser model;
    private readonly ITextEncoder? textEncoder;
    private readonly LatentDecoder? decoder;
    private readonly Device device;
    private readonly Thread worker;
    private readonly int maxBatch;

    /// <summary>Loads <paramref name="pack"/> on <paramref name="device"/> (default CPU) and starts the worker.</summary>
    /// <param name="pack">The model pack.</param>
    /// <param name="device">Where the model runs (default: CPU).</param>
    /// <param name="maxBatchImages">The most images one batched forward may hold.</param>
    /// <param name="precision">The model's inference precision (default float32; bfloat16 is refused where it would be emulated).</param>
    public GenerationEngine(ModelPack pack, Device? device = null, int maxBatchImages = 64, InferencePrecision precision = InferencePrecision.Float32)
    {
        Pack = pack;
        this.device = device ?? CPU;
        maxBatch = maxBatchImages;
        var dtype = precision.Resolve(this.device);
        model = pack.LoadDenoiser(this.device);
        // The sampler's arithmetic and the text encoder stay float32: both models convert their inputs and outputs. The
        // frozen copies follow the cast: merged weak-patch weights in bfloat16, the packed float32 copies released.
        if (dtype != ScalarType.Float32) ((nn.Module)model).to(dtype);
        Precision = dtype == ScalarType.BFloat16 ? InferencePrecision.BFloat16 : InferencePrecision.Float32;
        if (model is PixArt pixArt) textEncoder = pack.LoadTextEncoder(pixArt.Config.ModelMaxLength);
        if (pack.Manifest.Vae is { } vae)
            decoder = LatentDecoder.Load(pack.Resolve(vae.Weights), pack.Resolve(vae.Config), vae.Scale, this.device);
        worker = new Thread(Work) { IsBackground = true, Name = "FlexiDiT engine" };
        worker.Start();
    }

    /// <summary>The precision the model runs in (auto resolved).</summary>
    public InferencePrecision Precision { get; }

    /// <summary>The pack the engine runs.</summary>
    public ModelPack Pack { get; }
    /// <summary>The loaded model's config (class packs).</summary>
    public DiTConfig Config => (model as DiT)?.Config ?? throw new InvalidOperationException($"Pack {Pack.Name} is a text-to-image pack; see Geometry.");
    /// <summary>The loaded model's shape and patch sizes (any pack).</summary>
    public IDenoiserGeometry Geometry => model.Geometry;
    /// <summary>Raised on the worker thread after every batched forward.</summary>
    public event Action<ForwardObservation>? ForwardCompleted;
    /// <summary>Side in pixels of the images the engine returns (the model's input size, times the VAE's upscale factor for latent models).</summary>
    public int ImageSize => decoder is null ? model.Geometry.InputSize : model.Geometry.InputSize * decoder.Vae.Config.UpscaleFactor;
    /// <summary>Largest number of images that went through one forward so far (shows batching at work).</summary>
    public int LargestBatch { get; private set; }

    /// <summary>Queues a job; the task completes with its images, or is cancelled within one denoising step.</summary>
    /// <exception cref="ArgumentException">
    /// Thrown before anything is queued: the plan does not fit the model, the job has no images, prompts go to a class
    /// pack or labels to a text-to-image pack, or a prompt names nothing the text encoder knows.
    /// </exception>
    /// <exception cref="ArgumentOutOfRangeException">A class label is outside the model's classes.</exception>
    public Task<GenerationResult> GenerateAsync(GenerationJob job, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(job);
        cancellationToken.ThrowIfCancellationRequested();
        // The engine's one check of a job, on the caller's thread so bad input fails fast with a clear error; the
        // worker runs the accepted job as it is.
        var plan = job.Plan.Build(model.Geometry);
        if (job.Prompts is not null != (textEncoder is not null))
        {
            throw new ArgumentException(textEncoder is null
                ? $"Pack {Pack.Name} is class-conditional: give class labels, not prompts."
                : $"Pack {Pack.Name} is text-to-image: give a prompt (GenerationJob.ForPrompt), not class labels.", nameof(job));
        }

        if (job.ImageCount == 0) throw new ArgumentException("A job needs at least one image.", nameof(job));
        if (model is DiT dit) dit.Config.ThrowIfNotClasses(job.ClassLabels, nameof(job));
        // A prompt that names nothing the encoder knows (the scenes model's NoSceneConceptException) is refused here.
        var ignored = IgnoredWordsOf(job);
        var completion = new TaskCompletionSource<GenerationResult>(TaskCreationOptions.RunContinuationsAsynchronously);
        if (!queue.Writer.TryWrite(new Accepted(job with { IgnoredWords = ignored }, plan, completion, cancellationToken)))
            throw new ObjectDisposedException(nameof(GenerationEngine));
        return completion.Task;
    }

    /// <summary>
    /// The words of <paramref name="prompt"/> the pack's text encoder does not understand and leaves out (empty for
    /// encoders that read any text, and for class packs, whose prompts are matched to classes before they get here).
    /// </summary>
    /// <exception cref="ArgumentException">The prompt names nothing the model knows (the scenes model's <c>NoSceneConceptException</c>).</exception>
    public IReadOnlyList<string> IgnoredWords(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return textEncoder?.IgnoredWords(prompt) ?? [];
    }

    private IReadOnlyList<string> IgnoredWordsOf(GenerationJob job) =>
        job.Prompts is { } prompts ? prompts.Distinct(StringComparer.Ordinal).SelectMany(p => IgnoredWords(p)).Distinct(StringComparer.Ordinal).ToArray() : [];

    private void Work()
    {
        var active = new List<Active>();
        using var inference = torch.inference_mode();
        while (!stopping.IsCancellationRequested)
        {
            // Admit new jobs between steps; block only when idle.
            while (queue.Reader.TryRead(out var item)) Admit(item, active);
            if (active.Count == 0)
            {
                if (!queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult()) break;
                continue;
            }
            foreach (var a in active.Where(a => a.CancellationToken.IsCancellationRequested).ToList())
            {
                a.Completion.TrySetCanceled(a.CancellationToken);
                a.Run.Dispose();
                active.Remove(a);
            }
            if (active.Count == 0) continue;
            try
            {
                Step(active);
            }
            catch (Exception) when (active.Count > 1)
            {
                // The batch failed: step each job on its own, so only the job that fails alone fails.
                foreach (var a in active.ToList())
                {
                    var alone = new List<Active> { a };
                    try
                    {
                        Step(alone);
                        if (alone.Count == 0) active.Remove(a);
                    }
                    catch (Exception e)
                    {
                        Fail(a, e, active);
                    }
                }
            }
            catch (Exception e)
            {
                Fail(active[0], e, active);
            }
        }
        // Disposed: what is still running or queued is cancelled, not run to the end.
        foreach (var a in active)
        {
            a.Completion.TrySetCanceled();
            a.Run.Dispose();
        }
        while (queue.Reader.TryRead(out var left)) left.Completion.TrySetCanceled();
    }

    private static void Fail(Active a, Exception e, List<Active> active)
    {
        a.Completion.TrySetException(e);
        a.Run.Dispose();
        active.Remove(a);
    }

    private void Admit(Accepted item, List<Active> active)
    {
        if (item.Token.IsCancellationRequested)
        {
            item.Completion.TrySetCanceled(item.Token);
            return;
        }
        try
        {
            var plan = item.Plan;
            SamplingRun run;
            if (item.Job.Prompts is { } prompts)
            {
                // Every prompt is encoded to the encoder's length, so caption jobs batch together; the run keeps a copy.
                // Weights without a learned null caption (the diffusers layout) guide with the empty prompt, as diffusers'
                // PixArtAlphaPipeline does when no negative prompt is given.
                string? negative = item.Job.NegativePrompt ?? (model is PixArt { NullCaption: null } ? "" : null);
                using var caption = textEncoder!.Encode(prompts, negative);
                using var onDevice = caption.CopyTo(device);
                run = new SamplingRun(model, plan, onDevice, new SeededNoise(item.Job.Seed));
            }
            else
            {
                // The labels were checked against the model's classes when the job was accepted.
                using var labels = new ClassCondition(tensor(item.Job.ClassLabels, device: device));
                run = new SamplingRun(model, plan, labels, new SeededNoise(item.Job.Seed));
            }
            active.Add(new Active(item.Job, run, item.Completion, item.Token));
        }
        catch (Exception e)
        {
            item.Completion.TrySetException(e);
        }
    }

    private void Step(List<Active> active)
    {
        using var scope = torch.NewDisposeScope();
        // Jobs beyond the batch cap wait for the next step, oldest first.
        var stepping = new List<Active>();
        int images = 0;
        foreach (var a in active)
        {
            if (stepping.Count > 0 && images + a.Run.Count > maxBatch) break;
            stepping.Add(a);
            images += a.Run.Count;
        }
        var requests = stepping.Select(a => a.Run.PendingForwards()).ToList();
        var outputs = ForwardBatcher.Run(model, requests.SelectMany(r => r).ToList(), observation =>
        {
            LargestBatch = Math.Max(LargestBatch, observation.Batch);
            ForwardCompleted?.Invoke(observation);
        });
        int offset = 0;
        foreach (var (a, r) in stepping.Zip(requests))
        {
            a.Run.Complete(outputs[offset..(offset + r.Count)]);
            offset += r.Count;
        }
        foreach (var a in stepping.Where(a => a.Run.IsDone).ToList())
        {
            active.Remove(a);
            Finish(a);
        }
        // Round-robin: jobs that stepped go to the back so capped jobs are not starved.
        foreach (var a in stepping.Where(active.Contains).ToList())
        {
            active.Remove(a);
            active.Add(a);
        }
    }

    private void Finish(Active a)
    {
        try
        {
            var samples = a.Run.Current;
            var images = decoder is null ? samples.cpu().clone() : decoder.Decode(samples).cpu();
            images.DetachFromDisposeScope();
            var plan = a.Run.Plan;
            // Against the pack's full-compute mode, so a plan that saves steps as well as patch size says so; a
            // pack without one compares with the same steps at the powerful patch size. Never below what was spent.
            long fullCompute = Math.Max(a.Run.FlopsSpent, Pack.FullComputeFlops(model.Geometry, a.Run.Count) ?? a.Run.FullComputeFlops);
            a.Completion.TrySetResult(new GenerationResult(images, a.Run.FlopsSpent, fullCompute,
                plan.Steps.Count, plan.WeakConditionalSteps(model.Geometry.PatchSize), a.Watch.Elapsed)
            {
                SameStepsFullComputeFlops = a.Run.FullComputeFlops,
                IgnoredWords = a.Job.IgnoredWords,
            });
        }
        catch (Exception e)
        {
            a.Completion.TrySetException(e);
        }
        finally
        {
            a.Run.Dispose();
        }
    }

    /// <summary>Stops the worker (queued and running jobs are cancelled within a step) and frees the model.</summary>
    public void Dispose()
    {
        if (!queue.Writer.TryComplete()) return;
        stopping.Cancel();
        worker.Join();
        stopping.Dispose();
        ((IDisposable)model).Dispose();
        textEncoder?.Dispose();
        decoder?.Dispose();
    }
}
