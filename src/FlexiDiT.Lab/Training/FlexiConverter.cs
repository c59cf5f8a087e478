using System.Diagnostics;
using FlexiDiT.Checkpoints;
using FlexiDiT.Data;
using FlexiDiT.Data.Scenes;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Sampling;
using FlexiDiT.TextEncoders;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FlexiDiT.Training;

/// <summary>
/// Converts a DiT or a PixArt-α into a FlexiDiT: adds a weak patch size initialised by PI-resize (<see cref="Flexify"/>)
/// and fine-tunes only what the weak size adds (its embeddings and LoRA adapters). The original weights
/// stay frozen, so the original patch size keeps reproducing the base model exactly, and the frozen
/// original is the distillation teacher. In data-free mode the training inputs are the states x_t the
/// teacher visits while sampling its own images (classifier-free guided, as at inference). A PixArt-α has no
/// image data here, so it is always converted data-free, on trajectories conditioned on the captions of
/// <see cref="ConvertOptions.CaptionsPath"/> (encoded by <see cref="ConvertOptions.TextEncoderPath"/>) or on its null caption.
/// A text-to-image scenes checkpoint (<see cref="TextToImageCheckpoint"/>) has its data: it is fine-tuned on real
/// captioned scenes, as a resumable run.
/// </summary>
public sealed class FlexiConverter(ConvertOptions options, TextWriter? console = null)
{
    /// <summary>The method's text-to-image fine-tuning (frozen original, LoRA): AdamW lr 8e-4, weight decay 1e-2, gradient clip 0.02.</summary>
    public static readonly (double LearningRate, double WeightDecay, double GradClip) TextToImageHyperParameters = (8e-4, 1e-2, 0.02);

    /// <summary>This project's DiT conversion defaults (tuned on the Shapes model): lr 5e-4, no weight decay, clip 1.</summary>
    public static readonly (double LearningRate, double WeightDecay, double GradClip) DiTHyperParameters = (5e-4, 0, 1.0);

    // The teacher's trajectories: DDPM respaced to 50 steps, guided as at inference.
    private const string TrajectoryRespacing = "50";
    private const double DiTGuidance = 4.0;
    private const double PixArtGuidance = 4.5;

    /// <summary>Runs the conversion and writes the FlexiDiT checkpoint.</summary>
    public ConvertResult Run(CancellationToken cancellationToken = default)
    {
        if (options.MinTimestep < 0 || options.MinTimestep >= GaussianDiffusion.TrainingTimesteps)
            throw new ArgumentOutOfRangeException(nameof(options.MinTimestep), options.MinTimestep, $"--min-timestep must lie in [0, {GaussianDiffusion.TrainingTimesteps - 1}].");
        var log = new TrainingLog(options.LogPath ?? options.Output + ".log", console);
        // Checked first: its PixArt half would pass for a PixArt-α checkpoint.
        if (TextToImageCheckpoint.IsTextToImage(options.BaseCheckpoint)) return ConvertTextToImage(log, cancellationToken);
        // A DiT-XL/2 needs gigabytes; say so before loading rather than dying half-way. A step holds about three
        // forwards' activations (teacher, student, the student's saved for backward); the guided loss doubles the batch.
        int forwardBatch = options.BatchSize * (options.Loss == ConversionLoss.Guided ? 2 : 1);
        var memory = DiTMemoryEstimate.ForCheckpoint(options.BaseCheckpoint, batchSize: options.MaxSteps == 0 ? 1 : forwardBatch * 3);
        memory.EnsureFits();
        return PixArtCheckpoint.IsPixArt(options.BaseCheckpoint) ? ConvertPixArt(log, cancellationToken) : ConvertDiT(log, memory, cancellationToken);
    }

    private ConvertResult ConvertDiT(TrainingLog log, MemoryEstimate memory, CancellationToken cancellationToken)
    {
        if (options.CaptionsPath is not null || options.TextEncoderPath is not null)
            throw new ArgumentException("--captions and --text-encoder are for text-to-image models (PixArt-α); this checkpoint is a class-conditional DiT.");
        // The estimate for the training batch, made above, rather than the header read again for batch 1.
        using var model = DiTCheckpoint.Load(options.BaseCheckpoint, memory, options.BaseConfig);
        var config = model.Config;
        if (options.MaxSteps != 0) CheckTrainingInputs(config);
        Flexify.AddWeakPatchSize(model, options.WeakPatch, options.LoraRank);
        var trainable = Freeze(model, model.WeakParameters());
        var hyper = HyperParameters(DiTHyperParameters);
        log.Write($"converting {options.BaseCheckpoint}: patch {config.PatchSize} + weak {options.WeakPatch}, LoRA rank {options.LoraRank}, " +
            $"{trainable.Sum(p => p.numel()) / 1e3:F0} k trainable parameters, loss {options.Loss}{(options.DataFree ? ", data-free" : "")}" +
            $"{(options.MinTimestep > 0 ? $", timesteps {options.MinTimestep}–{GaussianDiffusion.TrainingTimesteps - 1}" : "")}" +
            $"{(options.BFloat16 ? ", bfloat16 forwards/backward" : "")}");

        var generator = new Generator((ulong)options.Seed);
        var diffusion = new GaussianDiffusion(null, config.Variance);
        using var inputs = options.DataFree
            ? new TeacherTrajectories(model, options.BatchSize, generator, options.MinTimestep, config.HasNullClass ? DiTGuidance : 1.0,
                () => new ClassCondition(torch.randint(0, config.NumClasses, [options.BatchSize], generator: generator)))
            : null;
        var data = new ShapesDataset(options.Seed + 1000);
        model.train();
        using var replica = options.BFloat16 ? new BFloat16Replica(model) : null;
        Tensor Forward(Tensor x, Tensor t, ModelCondition c, int patchSize) =>
            replica is null ? model.Forward(x, t, c, patchSize) : replica.Forward(x, t, ModelCondition.As<ClassCondition>(c).Labels, patchSize);

        TrainingBatch NextBatch(int step)
        {
            if (inputs is not null) return inputs.Next(diffusion);
            var (xStart, labels, _) = data.Batch((long)step * options.BatchSize, options.BatchSize);
            if (options.Loss != ConversionLoss.Guided) labels = model.LabelEmbedder.DropLabels(labels, generator);
            var indices = torch.randint(options.MinTimestep, GaussianDiffusion.TrainingTimesteps, [options.BatchSize], generator: generator).data<long>().ToArray();
            var noise = torch.randn(xStart.shape, generator: generator);
            var xT = diffusion.QSample(xStart, indices, noise);
            var t = diffusion.ModelTimesteps(indices, xT.device);
            if (options.Loss == ConversionLoss.Guided)
            {
                // Both branches of classifier-free guidance in one batch: conditional rows, then unconditional.
                xT = cat([xT, xT]);
                t = cat([t, t]);
                labels = cat([labels, torch.full_like(labels, config.NullClass)]);
            }
            var condition = new ClassCondition(labels);
            Tensor teacher;
            using (torch.no_grad()) teacher = Forward(xT, t, condition, config.PatchSize);
            return new TrainingBatch(xT, t, condition, teacher, indices, xStart, noise);
        }

        var outcome = FineTune(trainable, hyper, NextBatch, Forward, replica is null ? null : replica.CopyGradientsToMaster, diffusion, config.InChannels, log, cancellationToken);
        model.eval();
        return Finish(log, outcome, hyper, (path, metadata) => DiTCheckpoint.Save(model, path, metadata));
    }

    private ConvertResult ConvertPixArt(TrainingLog log, CancellationToken cancellationToken)
    {
        if (options.Loss != ConversionLoss.Distill)
            throw new ArgumentException($"A PixArt-α converts with --loss distill only (the method's text-to-image recipe), not {options.Loss.ToString().ToLowerInvariant()}.");
        if (options.BFloat16) throw new ArgumentException("--bf16 runs a bfloat16 replica of a DiT; it is not available for PixArt-α.");
        bool fineTunes = options.MaxSteps != 0;
        if (fineTunes && !options.DataFree)
            throw new ArgumentException("A PixArt-α is distilled on its own sampling trajectories (there is no image data set for it): add --data-free; --captions sets what the trajectories are conditioned on.");
        if ((options.CaptionsPath is null) != (options.TextEncoderPath is null))
            throw new ArgumentException("Give --captions and --text-encoder together: the captions file's prompts are encoded by that text encoder (a T5 folder with config.json, weights and spiece.model).");
        using var model = PixArtCheckpoint.Load(options.BaseCheckpoint, options.BaseConfig);
        var config = model.Config;
        using var captions = fineTunes ? LoadCaptions(config) : null;
        if (fineTunes && captions is null && model.NullCaption is null)
            throw new ArgumentException("These PixArt-α weights have no learned null caption (diffusers files drop it), so they cannot be distilled unconditionally: give --captions and --text-encoder.");
        Flexify.AddWeakPatchSize(model, options.WeakPatch, options.LoraRank);
        var trainable = Freeze(model, model.WeakParameters());
        var hyper = HyperParameters(TextToImageHyperParameters);
        log.Write($"converting {options.BaseCheckpoint} (PixArt-α): patch {config.PatchSize} + weak {options.WeakPatch}, LoRA rank {options.LoraRank}, " +
            $"{trainable.Sum(p => p.numel()) / 1e3:F0} k trainable parameters, distillation on the teacher's trajectories " +
            (captions is null ? "(null caption, unguided)" : $"for {captions.Count} captions of {Path.GetFileName(options.CaptionsPath)}") +
            $"{(options.MinTimestep > 0 ? $", timesteps {options.MinTimestep}–{GaussianDiffusion.TrainingTimesteps - 1}" : "")}");

        var generator = new Generator((ulong)options.Seed);
        var diffusion = new GaussianDiffusion(null, config.Variance);
        bool guided = captions is not null && model.NullCaption is not null;
        ModelCondition DrawCaptions()
        {
            if (captions is null)
                return new CaptionCondition(model.NullCaption!.detach().unsqueeze(0).expand(options.BatchSize, -1, -1).contiguous());
            var rows = torch.randint(0, captions.Count, [options.BatchSize], generator: generator);
            return new CaptionCondition(captions.Features.index_select(0, rows), captions.Mask.index_select(0, rows));
        }
        using var inputs = new TeacherTrajectories(model, options.BatchSize, generator, options.MinTimestep, guided ? PixArtGuidance : 1.0, DrawCaptions);
        model.train();
        var outcome = FineTune(trainable, hyper, _ => inputs.Next(diffusion), model.Forward, null, diffusion, config.InChannels, log, cancellationToken);
        model.eval();
        return Finish(log, outcome, hyper, (path, metadata) => PixArtCheckpoint.Save(model, path, metadata));
    }

    /// <summary>
    /// A text-to-image scenes model (caption encoder + PixArt-α, trained here) has its data: the weak size learns on real
    /// captioned scenes with the loss of its choice (the denoising loss is the training loss), caption dropout to the null
    /// caption as in training so it serves guidance's unconditional branch too, the caption encoder and the original
    /// weights frozen. It runs as a resumable run (<see cref="TrainingLoop"/>): live weights, AdamW state and
    /// <c>state.json</c> in <see cref="ConvertOptions.RunDirectory"/>; the same data and noise at step s whenever it runs.
    /// </summary>
    private ConvertResult ConvertTextToImage(TrainingLog log, CancellationToken cancellationToken)
    {
        if (options.DataFree)
            throw new ArgumentException("A text-to-image scenes checkpoint converts on real captioned scenes (the scenes data set is generated here): leave out --data-free.");
        if (options.CaptionsPath is not null || options.TextEncoderPath is not null)
            throw new ArgumentException("--captions and --text-encoder are for a PixArt-α with a T5; a text-to-image scenes checkpoint holds its own caption encoder and draws its captions from the scenes data set.");
        if (options.BFloat16) throw new ArgumentException("--bf16 runs a bfloat16 replica of a DiT; it is not available for a text-to-image scenes checkpoint.");
        string output = Path.GetFullPath(options.Output);
        string runDirectory = options.RunDirectory ?? Path.Combine(Path.GetDirectoryName(output)!, Path.GetFileNameWithoutExtension(output) + "-run");
        string livePath = Path.Combine(runDirectory, "model.safetensors"), optimizerPath = Path.Combine(runDirectory, "optimizer.pt");
        var state = TrainingState.Read(Path.Combine(runDirectory, "state.json"));

        using var model = TextToImageCheckpoint.Load(options.BaseCheckpoint);
        var config = model.Config.Denoiser;
        if (config.FlexiPatchSizes.Length > 0)
            throw new ArgumentException($"{options.BaseCheckpoint} is already a FlexiDiT (patch sizes {string.Join(", ", config.AllPatchSizes)}); convert the base model's checkpoint.");
        if (options.Loss == ConversionLoss.Guided && model.Denoiser.NullCaption is null)
            throw new ArgumentException("--loss guided distils classifier-free guidance, which needs the model's learned null caption; this checkpoint has none.");
        // The LoRA adapters' A matrices are drawn from the global generator: seed it so the same command converts alike.
        torch.manual_seed(options.Seed);
        Flexify.AddWeakPatchSize(model.Denoiser, options.WeakPatch, options.LoraRank);
        if (state is not null)
        {
            if (!TextToImageCheckpoint.ReadConfig(livePath).SameAs(model.Config))
                throw new ArgumentException($"The conversion run in {runDirectory} was started from another base model or with another --weak-patch/--lora-rank; resume it with the same ones or give a new --run folder.");
            TextToImageCheckpoint.LoadInto(model, livePath);
        }
        var trainable = Freeze(model, model.Denoiser.WeakParameters());
        var hyper = HyperParameters(TextToImageHyperParameters);
        var optimizer = torch.optim.AdamW(trainable, lr: hyper.LearningRate, weight_decay: hyper.WeightDecay);
        var run = new ConversionRun
        {
            RunDirectory = runDirectory, BatchSize = options.BatchSize, LearningRate = hyper.LearningRate, WeightDecay = hyper.WeightDecay,
            CooldownFraction = options.CooldownFraction, GradientClip = hyper.GradClip, MinSnrGamma = options.MinSnrGamma,
            MaxSteps = options.MaxSteps, MaxTime = options.MaxTime, Seed = options.Seed, LogEvery = options.LogEvery, CheckpointEvery = options.CheckpointEvery,
        };
        run.ValidateSchedule();
        Directory.CreateDirectory(runDirectory);
        if (state is null)
        {
            state = TrainingState.Start;
            log.Write($"converting {options.BaseCheckpoint} (text-to-image scenes): patch {config.PatchSize} + weak {options.WeakPatch}, LoRA rank {options.LoraRank}, " +
                $"{trainable.Sum(p => p.numel()) / 1e3:F0} k trainable parameters, {options.Loss.ToString().ToLowerInvariant()} loss on real captioned scenes " +
                $"(caption encoder frozen, caption dropout {config.ClassDropoutProb:P0}{(options.MinSnrGamma is { } g ? $", Min-SNR γ {g}" : "")})" +
                $"{(options.MinTimestep > 0 ? $", timesteps {options.MinTimestep}–{GaussianDiffusion.TrainingTimesteps - 1}" : "")}, run folder {runDirectory}");
        }
        else
        {
            if (File.Exists(optimizerPath)) optimizer.load_py(optimizerPath);
            log.Write($"resumed at step {state.Step} ({state.TrainingSeconds / 60:F1} min trained){(File.Exists(optimizerPath) ? "" : ", AdamW state not found: fresh moments")}");
        }

        var data = new SceneDataset(options.Seed + ConversionDataSeed);
        var tokenizer = SceneTokenizer.FromGrammar(config.ModelMaxLength);
        var diffusion = new GaussianDiffusion(null, config.Variance);
        model.train();
        TrainingBatch SceneTrainingBatch(int step)
        {
            // Step s always draws the same scenes, timesteps, noise and dropout, so a resumed run ends where an uninterrupted one does.
            var generator = new Generator((ulong)ShapesDataset.MixSeed(options.Seed, step));
            var scenes = data.Batch((long)step * options.BatchSize, options.BatchSize);
            var (ids, mask) = tokenizer.EncodeBatch(scenes.Captions);
            var xStart = scenes.Images;
            var indices = torch.randint(options.MinTimestep, GaussianDiffusion.TrainingTimesteps, [options.BatchSize], generator: generator).data<long>().ToArray();
            var noise = torch.randn(xStart.shape, generator: generator);
            var xT = diffusion.QSample(xStart, indices, noise);
            var t = diffusion.ModelTimesteps(indices, xT.device);
            Tensor drop;
            if (options.Loss == ConversionLoss.Guided)
            {
                // Both branches of classifier-free guidance in one batch: the captions, then the null caption.
                (xT, t, ids, mask) = (cat([xT, xT]), cat([t, t]), cat([ids, ids]), cat([mask, mask]));
                drop = cat([torch.zeros(options.BatchSize, ScalarType.Bool), torch.ones(options.BatchSize, ScalarType.Bool)]);
            }
            else
            {
                drop = torch.rand(options.BatchSize, generator: generator).lt(config.ClassDropoutProb);
            }
            CaptionCondition condition;
            using (torch.no_grad()) condition = new CaptionCondition(model.Features(ids, mask, drop), mask);
            Tensor? teacher = null;
            if (options.Loss != ConversionLoss.Denoise)
                using (torch.no_grad()) teacher = model.Denoiser.Forward(xT, t, condition, config.PatchSize);
            return new TrainingBatch(xT, t, condition, teacher, indices, xStart, noise);
        }
        double TrainStep(int step, double factor)
        {
            optimizer.ParamGroups.First().LearningRate = hyper.LearningRate * factor;
            return OptimizerStep(optimizer, trainable, hyper.GradClip, SceneTrainingBatch(step), model.Denoiser.Forward, null, diffusion, config.InChannels);
        }
        void Checkpoint(TrainingState now)
        {
            TextToImageCheckpoint.Save(model, livePath, new Dictionary<string, string> { ["flexidit.base"] = Path.GetFileName(options.BaseCheckpoint), ["flexidit.step"] = now.Step.ToString(System.Globalization.CultureInfo.InvariantCulture) });
            optimizer.save_py(optimizerPath);
        }
        var result = new TrainingLoop(run, log).Run(state, TrainStep, Checkpoint, () => 0, livePath, cancellationToken, weightsName: "live weights");
        model.eval();
        return Finish(log, new FineTuneOutcome(result.Steps, result.FirstLoss, result.FinalLoss, result.FinalLoss, result.TrainingTime), hyper,
            (path, metadata) => TextToImageCheckpoint.Save(model, path, metadata));
    }

    // The conversion's scenes are not the base model's training scenes (train-t2i draws seed --seed, 0 by default).
    private const long ConversionDataSeed = 1000;

    /// <summary>The shared training-run settings of a resumable text-to-image conversion.</summary>
    private sealed record ConversionRun : DiffusionTrainOptions;

    // The captions file's prompts, encoded once at the model's caption length (its null caption's length).
    private CaptionCondition? LoadCaptions(PixArtConfig config)
    {
        if (options.CaptionsPath is null) return null;
        var prompts = File.ReadAllLines(options.CaptionsPath).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
        if (prompts.Count == 0) throw new ArgumentException($"The captions file '{options.CaptionsPath}' has no prompts (one per line).");
        using var encoder = T5TextEncoder.LoadFolder(options.TextEncoderPath!, new T5EncoderOptions { MaxLength = config.ModelMaxLength });
        if (encoder.Channels != config.CaptionChannels)
            throw new ArgumentException($"The text encoder gives {encoder.Channels}-wide features but the model's caption_channels is {config.CaptionChannels}; use the encoder it was trained with.");
        const int Chunk = 16;
        var parts = new List<CaptionCondition>();
        for (int i = 0; i < prompts.Count; i += Chunk) parts.Add(encoder.Encode(prompts.Skip(i).Take(Chunk).ToList(), negativePrompt: null));
        var all = CaptionCondition.Concat(parts);
        if (parts.Count > 1) foreach (var part in parts) part.Dispose();
        all.DetachFromDisposeScope();
        return all;
    }

    private static List<Parameter> Freeze(nn.Module model, IEnumerable<Parameter> weakParameters)
    {
        foreach (var p in model.parameters()) p.requires_grad = false;
        var trainable = weakParameters.ToList();
        foreach (var p in trainable) p.requires_grad = true;
        return trainable;
    }

    private (double LearningRate, double WeightDecay, double GradClip) HyperParameters((double LearningRate, double WeightDecay, double GradClip) defaults) =>
        (options.LearningRate ?? defaults.LearningRate, options.WeightDecay ?? defaults.WeightDecay, options.GradClip ?? defaults.GradClip);

    private sealed record TrainingBatch(Tensor X, Tensor T, ModelCondition Condition, Tensor? Teacher, long[] Indices, Tensor? XStart = null, Tensor? Noise = null);

    private sealed record FineTuneOutcome(int Steps, double FirstLoss, double LastLoss, double RecentLoss, TimeSpan Elapsed);

    // The fine-tuning loop both model kinds share: the student (weak patch) against the batch's frozen teacher output.
    private FineTuneOutcome FineTune(List<Parameter> trainable, (double LearningRate, double WeightDecay, double GradClip) hyper,
        Func<int, TrainingBatch> nextBatch, Func<Tensor, Tensor, ModelCondition, int, Tensor> forward, Action? afterBackward,
        GaussianDiffusion diffusion, int inChannels, TrainingLog log, CancellationToken cancellationToken)
    {
        var optimizer = torch.optim.AdamW(trainable, lr: hyper.LearningRate, weight_decay: hyper.WeightDecay);
        var watch = Stopwatch.StartNew();
        int step = 0;
        double first = double.NaN, last = double.NaN, recent = double.NaN, sum = 0;
        int count = 0;
        bool Finished() => (options.MaxSteps is { } s && step >= s) || (options.MaxTime is { } t && watch.Elapsed >= t);
        double Progress() => LearningRateSchedule.BudgetProgress(step, options.MaxSteps, watch.Elapsed, options.MaxTime);
        while (!Finished() && !cancellationToken.IsCancellationRequested)
        {
            using (var scope = torch.NewDisposeScope())
            {
                var batch = nextBatch(step);
                optimizer.ParamGroups.First().LearningRate = hyper.LearningRate * LearningRateSchedule.FactorByProgress(Progress(), options.CooldownFraction);
                last = OptimizerStep(optimizer, trainable, hyper.GradClip, batch, forward, afterBackward, diffusion, inChannels);
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
        return new FineTuneOutcome(step, first, last, recent, watch.Elapsed);
    }

    // One AdamW step of the student (the weak patch size) on a batch: what both the DiT/PixArt-α loop and the resumable
    // text-to-image run take per step.
    private double OptimizerStep(AdamW optimizer, List<Parameter> trainable, double gradClip, TrainingBatch batch,
        Func<Tensor, Tensor, ModelCondition, int, Tensor> forward, Action? afterBackward, GaussianDiffusion diffusion, int inChannels)
    {
        var student = forward(batch.X, batch.T, batch.Condition, options.WeakPatch);
        var loss = options.Loss switch
        {
            ConversionLoss.Distill => (student - batch.Teacher!).pow(2).mean(),
            ConversionLoss.Denoise => DenoisingLoss(student, batch, diffusion),
            ConversionLoss.Guided => GuidedDistillationLoss(student, batch.Teacher!, options.GuidanceScale, inChannels),
            _ => (student - batch.Teacher!).pow(2).mean() + DenoisingLoss(student, batch, diffusion),
        };
        optimizer.zero_grad();
        loss.backward();
        afterBackward?.Invoke();
        torch.nn.utils.clip_grad_norm_(trainable, gradClip);
        optimizer.step();
        return loss.item<float>();
    }

    private Tensor DenoisingLoss(Tensor student, TrainingBatch batch, GaussianDiffusion diffusion) =>
        diffusion.TrainingLoss(student, batch.XStart!, batch.X, batch.Indices, batch.Noise!, options.MinSnrGamma).mean();

    private ConvertResult Finish(TrainingLog log, FineTuneOutcome outcome, (double LearningRate, double WeightDecay, double GradClip) hyper, Action<string, Dictionary<string, string>> save)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(options.Output))!);
        save(options.Output, new Dictionary<string, string>
        {
            ["flexidit.base"] = Path.GetFileName(options.BaseCheckpoint),
            ["flexidit.convert.steps"] = outcome.Steps.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["flexidit.convert.loss"] = options.Loss.ToString(),
            ["flexidit.convert.data_free"] = options.DataFree.ToString(),
        });
        // The last line is the conversion's summary: the model card quotes it.
        log.Write($"wrote {Path.GetRelativePath(Environment.CurrentDirectory, options.Output)} after {outcome.Steps} steps at batch {options.BatchSize} in {outcome.Elapsed:hh\\:mm\\:ss} " +
            $"({options.Loss.ToString().ToLowerInvariant()} loss{(options.DataFree ? ", data-free" : "")}, lr {hyper.LearningRate:G3}" +
            $"{(hyper != DiTHyperParameters with { LearningRate = hyper.LearningRate } ? $", weight decay {hyper.WeightDecay:G3}, clip {hyper.GradClip:G3}" : "")}" +
            $"{(options.CooldownFraction > 0 ? $" cooled down over the last {options.CooldownFraction:P0}" : "")}" +
            $"{(options.MinTimestep > 0 ? $", timesteps ≥ {options.MinTimestep}" : "")}{(options.BFloat16 ? ", bfloat16" : "")}), loss {outcome.FirstLoss:F4} → {outcome.RecentLoss:F4}");
        return new ConvertResult(outcome.Steps, outcome.FirstLoss, outcome.LastLoss, outcome.Elapsed, options.Output);
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
    /// step and returns the visited x_t, the step index, the conditions and the teacher's output there.
    /// A trajectory restarts, with newly drawn conditions, once it reaches timesteps below <paramref name="minTimestep"/>,
    /// where the weak size is not trained.
    /// </summary>
    private sealed class TeacherTrajectories(IDenoiser model, int batch, Generator generator, int minTimestep, double guidanceScale, Func<ModelCondition> drawConditions) : IDisposable
    {
        private const double UnconditionalShare = 0.25;
        private readonly int[] timestepMap = new GaussianDiffusion(TrajectoryRespacing).TimestepMap;
        private SamplingRun? run;
        private ModelCondition? conditions;
        private long trajectories;

        // The run counts respaced steps from the noisiest; the student trains on original (1000-step) timesteps.
        private int CurrentTimestep(SamplingRun r) => timestepMap[r.Plan.Steps.Count - 1 - r.StepsDone];

        public TrainingBatch Next(GaussianDiffusion diffusion)
        {
            if (run is null || run.IsDone || CurrentTimestep(run) < minTimestep)
            {
                run?.Dispose();
                conditions?.Dispose();
                conditions = drawConditions();
                conditions.DetachFromDisposeScope();
                var plan = ComputePlan.Full("teacher", TrajectoryRespacing, model.Geometry.PatchSize, guidanceScale);
                run = new SamplingRun(model, plan, conditions, new SeededNoise((long)generator.initial_seed() * 7919 + trajectories++));
            }
            long timestep = CurrentTimestep(run);
            var x = run.Current.clone();
            var requests = run.PendingForwards();
            Tensor[] outputs;
            using (torch.no_grad()) outputs = ForwardBatcher.Run(model, requests);
            // A quarter of the rows learn the unconditional branch (the weak model serves both at inference).
            var condition = requests[0].Condition;
            var teacher = outputs[0].clone();
            if (outputs.Length > 1)
            {
                var unconditional = torch.rand(batch, generator: generator) < UnconditionalShare;
                condition = condition.Where(unconditional, requests[1].Condition);
                teacher = torch.where(unconditional.view(-1, 1, 1, 1).to(teacher.device), outputs[1], teacher);
            }
            run.Complete(outputs);
            var indices = Enumerable.Repeat(timestep, batch).ToArray();
            return new TrainingBatch(x, diffusion.ModelTimesteps(indices, x.device), condition, teacher, indices);
        }

        public void Dispose()
        {
            run?.Dispose();
            conditions?.Dispose();
        }
    }
}
