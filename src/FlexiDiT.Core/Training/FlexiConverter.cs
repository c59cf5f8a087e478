using System.Diagnostics;
using FlexiDiT.Checkpoints;
using FlexiDiT.Data;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using FlexiDiT.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Training;

/// <summary>What a conversion did.</summary>
public sealed record ConvertResult(int Steps, double FirstLoss, double FinalLoss, TimeSpan Elapsed, string Output);

/// <summary>
/// Converts a DiT into a FlexiDiT: adds a weak patch size initialised by PI-resize (<see cref="Flexify"/>)
/// and fine-tunes only what the weak size adds (its embeddings and LoRA adapters). The original weights
/// stay frozen, so the original patch size keeps reproducing the base model exactly, and the frozen
/// original is the distillation teacher. In data-free mode the training inputs are the states x_t the
/// teacher visits while sampling its own images (classifier-free guided, as at inference).
/// </summary>
public sealed class FlexiConverter(ConvertOptions options, TextWriter? console = null)
{
    /// <summary>Runs the conversion and writes the FlexiDiT checkpoint.</summary>
    public ConvertResult Run(CancellationToken cancellationToken = default)
    {
        if (options.MinTimestep < 0 || options.MinTimestep >= GaussianDiffusion.TrainingTimesteps)
            throw new ArgumentOutOfRangeException(nameof(options.MinTimestep), options.MinTimestep, $"--min-timestep must lie in [0, {GaussianDiffusion.TrainingTimesteps - 1}].");
        var log = new TrainingLog(options.LogPath ?? options.Output + ".log", console);
        // A DiT-XL/2 needs gigabytes; say so before loading rather than dying half-way. A step holds about three
        // forwards' activations (teacher, student, the student's saved for backward); the guided loss doubles the batch.
        int forwardBatch = options.BatchSize * (options.Loss == ConversionLoss.Guided ? 2 : 1);
        MemoryEstimate.EnsureFits(options.BaseCheckpoint, batchSize: options.MaxSteps == 0 ? 1 : forwardBatch * 3);
        using var model = DiTCheckpoint.Load(options.BaseCheckpoint, options.BaseConfig);
        var config = model.Config;
        bool fineTunes = options.MaxSteps != 0;
        if (fineTunes) CheckTrainingInputs(config);

        Flexify.AddWeakPatchSize(model, options.WeakPatch, options.LoraRank);

        foreach (var p in model.parameters()) p.requires_grad = false;
        var trainable = model.WeakParameters().ToList();
        foreach (var p in trainable) p.requires_grad = true;
        log.Write($"converting {options.BaseCheckpoint}: patch {config.PatchSize} + weak {options.WeakPatch}, LoRA rank {options.LoraRank}, " +
            $"{trainable.Sum(p => p.numel()) / 1e3:F0} k trainable parameters, loss {options.Loss}{(options.DataFree ? ", data-free" : "")}" +
            $"{(options.MinTimestep > 0 ? $", timesteps {options.MinTimestep}–{GaussianDiffusion.TrainingTimesteps - 1}" : "")}" +
            $"{(options.BFloat16 ? ", bfloat16 forwards/backward" : "")}");

        var optimizer = torch.optim.AdamW(trainable, lr: options.LearningRate, weight_decay: 0);
        var generator = new Generator((ulong)options.Seed);
        var diffusion = new GaussianDiffusion(null, config.Variance);
        var inputs = options.DataFree ? new TeacherTrajectories(model, options.BatchSize, generator, options.MinTimestep) : null;
        var data = new ShapesDataset(options.Seed + 1000);
        var watch = Stopwatch.StartNew();
        int step = 0;
        double first = double.NaN, last = double.NaN, recent = double.NaN, sum = 0;
        int count = 0;
        bool Finished() => (options.MaxSteps is { } s && step >= s) || (options.MaxTime is { } t && watch.Elapsed >= t);
        double Progress() => LearningRateSchedule.BudgetProgress(step, options.MaxSteps, watch.Elapsed, options.MaxTime);

        model.train();
        using var replica = options.BFloat16 ? new BFloat16Replica(model) : null;
        Tensor Forward(Tensor x, Tensor t, Tensor y, int patchSize) => replica is null ? model.Forward(x, t, y, patchSize) : replica.Forward(x, t, y, patchSize);
        while (!Finished() && !cancellationToken.IsCancellationRequested)
        {
            using (var scope = torch.NewDisposeScope())
            {
                Tensor xT, t, labels, xStart = null!, noise = null!;
                long[] indices;
                Tensor teacher;
                if (inputs is not null)
                {
                    (xT, indices, labels, teacher) = inputs.Next();
                    t = diffusion.ModelTimesteps(indices, xT.device);
                }
                else
                {
                    (xStart, labels, _) = data.Batch((long)step * options.BatchSize, options.BatchSize);
                    if (options.Loss != ConversionLoss.Guided) labels = model.LabelEmbedder.DropLabels(labels, generator);
                    indices = torch.randint(options.MinTimestep, GaussianDiffusion.TrainingTimesteps, [options.BatchSize], generator: generator).data<long>().ToArray();
                    noise = torch.randn(xStart.shape, generator: generator);
                    xT = diffusion.QSample(xStart, indices, noise);
                    t = diffusion.ModelTimesteps(indices, xT.device);
                    if (options.Loss == ConversionLoss.Guided)
                    {
                        // Both branches of classifier-free guidance in one batch: conditional rows, then unconditional.
                        xT = cat([xT, xT]);
                        t = cat([t, t]);
                        labels = cat([labels, torch.full_like(labels, config.NullClass)]);
                    }
                    using (torch.no_grad()) teacher = Forward(xT, t, labels, config.PatchSize);
                }
                optimizer.ParamGroups.First().LearningRate = options.LearningRate * LearningRateSchedule.FactorByProgress(Progress(), options.CooldownFraction);
                var student = Forward(xT, t, labels, options.WeakPatch);
                var loss = options.Loss switch
                {
                    ConversionLoss.Distill => (student - teacher).pow(2).mean(),
                    ConversionLoss.Denoise => diffusion.TrainingLoss(student, xStart, xT, indices, noise).mean(),
                    ConversionLoss.Guided => GuidedDistillationLoss(student, teacher, options.GuidanceScale, config.InChannels),
                    _ => (student - teacher).pow(2).mean() + diffusion.TrainingLoss(student, xStart, xT, indices, noise).mean(),
                };
                optimizer.zero_grad();
                loss.backward();
                replica?.CopyGradientsToMaster();
                torch.nn.utils.clip_grad_norm_(trainable, options.GradClip);
                optimizer.step();
                last = loss.item<float>();
            }
            step++;
            if (double.IsNaN(first)) first = last;
            sum += last;
            count++;
            if (step % options.LogEvery == 0 || Finished())
            {
                recent = sum / count;
                log.Write($"step {step} loss {recent:F5} lr {optimizer.ParamGroups.First().LearningRate:G3} {step / watch.Elapsed.TotalSeconds:F2} steps/s elapsed {watch.Elapsed:hh\\:mm\\:ss}");
                sum = 0;
                count = 0;
            }
        }
        model.eval();
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Output))!);
        DiTCheckpoint.Save(model, options.Output, new Dictionary<string, string>
        {
            ["flexidit.base"] = Path.GetFileName(options.BaseCheckpoint),
            ["flexidit.convert.steps"] = step.ToString(),
            ["flexidit.convert.loss"] = options.Loss.ToString(),
            ["flexidit.convert.data_free"] = options.DataFree.ToString(),
        });
        // The last line is the conversion's summary: the model card quotes it.
        log.Write($"wrote {Path.GetRelativePath(Environment.CurrentDirectory, options.Output)} after {step} steps at batch {options.BatchSize} in {watch.Elapsed:hh\\:mm\\:ss} " +
            $"({options.Loss.ToString().ToLowerInvariant()} loss{(options.DataFree ? ", data-free" : "")}, lr {options.LearningRate:G3}" +
            $"{(options.CooldownFraction > 0 ? $" cooled down over the last {options.CooldownFraction:P0}" : "")}" +
            $"{(options.MinTimestep > 0 ? $", timesteps ≥ {options.MinTimestep}" : "")}{(options.BFloat16 ? ", bfloat16" : "")}), loss {first:F4} → {recent:F4}");
        return new ConvertResult(step, first, last, watch.Elapsed, options.Output);
    }

    /// <summary>
    /// ‖guided(weak) − guided(powerful)‖² + ‖c(weak) − c(powerful)‖² + ‖u(weak) − u(powerful)‖², with each batch holding
    /// the conditional rows then the unconditional ones, and guided = u + s(c − u) on the ε channels.
    /// </summary>
    public static Tensor GuidedDistillationLoss(Tensor student, Tensor teacher, double scale, int guidedChannels)
    {
        var s = student.chunk(2);
        var t = teacher.chunk(2);
        var guided = Guidance.Combine(s[0], s[1], scale, guidedChannels) - Guidance.Combine(t[0], t[1], scale, guidedChannels);
        return guided.pow(2).mean() + (s[0] - t[0]).pow(2).mean() + (s[1] - t[1]).pow(2).mean();
    }

    // Data-based fine-tuning draws from the Shapes generator, so it needs a Shapes-shaped model; any other
    // model (e.g. a published DiT-XL/2) is fine-tuned data-free, on its own samples.
    private void CheckTrainingInputs(DiTConfig config)
    {
        bool shapesShaped = config.InChannels == 3 && config.InputSize == ShapesDataset.ImageSize;
        if (options.Loss != ConversionLoss.Distill && options.DataFree)
            throw new ArgumentException($"Data-free conversion supports --loss distill only (not {options.Loss.ToString().ToLowerInvariant()}).");
        if (options.Loss == ConversionLoss.Guided && !config.HasNullClass)
            throw new ArgumentException("--loss guided distils classifier-free guidance, which needs a model trained with a null class (class dropout).");
        if (options.Loss != ConversionLoss.Distill && !shapesShaped)
            throw new ArgumentException($"--loss {options.Loss.ToString().ToLowerInvariant()} needs the Shapes data (3×{ShapesDataset.ImageSize}×{ShapesDataset.ImageSize}); this model is {config.InChannels}×{config.InputSize}×{config.InputSize}. Use --data-free with the distillation loss.");
        if (!options.DataFree && !shapesShaped)
            throw new ArgumentException($"Data-based conversion uses the Shapes data; for this {config.InChannels}-channel {config.InputSize}² model use --data-free (or --steps 0 for the initialisation only).");
    }

    /// <summary>
    /// The teacher's own guided ancestral sampling trajectories: each call advances a batch of trajectories one
    /// step and returns the visited x_t, the step index, the labels and the teacher's (conditional) output there.
    /// A trajectory restarts once it reaches timesteps below <paramref name="minTimestep"/>, where the weak size is not trained.
    /// </summary>
    private sealed class TeacherTrajectories(DiT model, int batch, Generator generator, int minTimestep)
    {
        private const string Respacing = "50";
        private const double GuidanceScale = 4.0;
        private const double UnconditionalShare = 0.25;
        private readonly int[] timestepMap = new GaussianDiffusion(Respacing).TimestepMap;
        private SamplingRun? run;
        private long[] labels = [];
        private long trajectories;

        // The run counts respaced steps from the noisiest; the student trains on original (1000-step) timesteps.
        private int CurrentTimestep(SamplingRun r) => timestepMap[r.Plan.Steps.Count - 1 - r.StepsDone];

        public (Tensor X, long[] Indices, Tensor Labels, Tensor Teacher) Next()
        {
            var config = model.Config;
            if (run is null || run.IsDone || CurrentTimestep(run) < minTimestep)
            {
                run?.Dispose();
                labels = torch.randint(0, config.NumClasses, [batch], generator: generator).data<long>().ToArray();
                var plan = ComputePlan.Full("teacher", Respacing, config.PatchSize, config.HasNullClass ? GuidanceScale : 1.0);
                run = new SamplingRun(config, plan, labels, new SeededNoise((long)generator.initial_seed() * 7919 + trajectories++), CPU);
            }
            long timestep = CurrentTimestep(run);
            var x = run.Current.clone();
            Tensor[] outputs;
            using (torch.no_grad()) outputs = ForwardBatcher.Run(model, run.PendingForwards());
            // A quarter of the rows learn the unconditional branch (the weak model serves both at inference).
            var y = tensor(labels);
            var teacher = outputs[0].clone();
            if (outputs.Length > 1)
            {
                var unconditional = (torch.rand(batch, generator: generator) < UnconditionalShare);
                y = torch.where(unconditional, torch.full_like(y, model.Config.NullClass), y);
                teacher = torch.where(unconditional.view(-1, 1, 1, 1), outputs[1], teacher);
            }
            run.Complete(outputs);
            return (x, Enumerable.Repeat(timestep, batch).ToArray(), y, teacher);
        }
    }
}
