using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Serialization;
using FlexiDiT.Checkpoints;
using FlexiDiT.Data;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FlexiDiT.Training;

/// <summary>What a training run left behind.</summary>
public sealed record TrainResult(int Steps, double FinalLoss, double FirstLoss, TimeSpan TrainingTime, string EmaCheckpoint);

/// <summary>
/// Trains a class-conditional DiT from scratch on Shapes, as DiT's <c>train.py</c> does: random timestep,
/// ε-MSE + VB loss, label dropout for guidance, AdamW, EMA. Checkpoints go to the run folder
/// (<c>model.safetensors</c>, <c>ema.safetensors</c> in the official names, <c>optimizer.pt</c>,
/// <c>state.json</c>) and a run started again on the same folder resumes where it stopped.
/// </summary>
public sealed class DiTTrainer(TrainOptions options, TextWriter? console = null)
{
    private static readonly int Shapes = Enum.GetValues<ShapeKind>().Length, Colors = ShapeColor.Palette.Count;

    private sealed record State(int Step, double TrainingSeconds, double FirstLoss, long? EmaUpdates = null);

    // A run stopped before its first step (e.g. --steps 0, which just initialises the run) has no first loss yet.
    private static readonly JsonSerializerOptions StateJson = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// <summary>Runs until the step or time limit; cancellation checkpoints and stops.</summary>
    public TrainResult Run(CancellationToken cancellationToken = default)
    {
        // Refuse before the run folder is touched, not at the first step.
        if (options.CooldownSteps > 0 && options.MaxSteps is null)
            throw new ArgumentException("A cool-down counts back from the last step: give the total steps (--steps) too.");
        if (options.CooldownFraction is < 0 or > 1 || double.IsNaN(options.CooldownFraction))
            throw new ArgumentOutOfRangeException(nameof(options), options.CooldownFraction, "The cool-down fraction is a share of the budget, from 0 to 1.");
        if (options.CooldownFraction > 0 && options.CooldownSteps > 0)
            throw new ArgumentException("Give the cool-down in steps (--cooldown) or as a share of the budget (--cooldown-fraction), not both.");
        if (options.CooldownFraction > 0 && options.MaxSteps is null && options.MaxTime is null)
            throw new ArgumentException("A cool-down fraction is a share of the budget: give --steps or --minutes too.");
        var conditionalData = options.ShapeWeights is null ? null : new ShapesDataset(options.Seed, options.ShapeWeights);
        Directory.CreateDirectory(options.RunDirectory);
        var log = new TrainingLog(Path.Combine(options.RunDirectory, "train.log"), console);
        string modelPath = Path.Combine(options.RunDirectory, "model.safetensors");
        string emaPath = Path.Combine(options.RunDirectory, "ema.safetensors");
        string optimizerPath = Path.Combine(options.RunDirectory, "optimizer.pt");
        string statePath = Path.Combine(options.RunDirectory, "state.json");

        var generator = new Generator((ulong)options.Seed);
        using var model = new DiT(options.Model);
        using var emaModel = new DiT(options.Model);
        var state = new State(0, 0, double.NaN);
        // The class-embedding table gets its own group so its learning rate can be scaled.
        var labelTable = model.LabelEmbedder.parameters().ToArray();
        var groups = new[]
        {
            new AdamW.ParamGroup(model.parameters().Where(p => !labelTable.Contains(p)), lr: options.LearningRate, weight_decay: options.WeightDecay),
            new AdamW.ParamGroup(labelTable, lr: options.LearningRate * options.LabelLearningRateScale, weight_decay: options.WeightDecay),
        };
        double[] baseRates = [options.LearningRate, options.LearningRate * options.LabelLearningRateScale];
        var optimizer = torch.optim.AdamW(groups, lr: options.LearningRate, weight_decay: options.WeightDecay);
        var ema = new Ema(emaModel, model, options.EmaDecay);
        if (File.Exists(statePath))
        {
            state = JsonSerializer.Deserialize<State>(File.ReadAllText(statePath), StateJson)!;
            DiTCheckpoint.LoadInto(model, StateDictReader.Read(modelPath), modelPath);
            // A run folder may travel without its optimizer and EMA (the repository keeps only the live
            // weights): AdamW then restarts its moments and the EMA restarts from the live weights.
            bool hasEma = File.Exists(emaPath), hasOptimizer = File.Exists(optimizerPath);
            if (hasEma) DiTCheckpoint.LoadInto(emaModel, StateDictReader.Read(emaPath), emaPath);
            if (hasOptimizer) optimizer.load_py(optimizerPath);
            generator = new Generator((ulong)(options.Seed + state.Step));
            // Runs checkpointed before the EMA warm-up existed averaged from step 0.
            ema.Updates = state.EmaUpdates ?? state.Step;
            bool resetEma = options.ResetEma || !hasEma;
            if (resetEma) ema.Reset();
            log.Write($"resumed at step {state.Step} ({state.TrainingSeconds / 60:F1} min trained){(resetEma ? ", EMA restarted from the live weights" : "")}{(hasOptimizer ? "" : ", AdamW state not found: fresh moments")}");
        }
        else
        {
            OfficialInit.Apply(model, generator);
            if (options.AdditiveLabels)
                AdditiveClassTable.Initialize(labelTable[0], Shapes, Colors, options.LabelInitStd ?? OfficialInit.EmbeddingStd, generator);
            else if (options.LabelInitStd is { } std)
                using (torch.no_grad()) foreach (var p in labelTable) p.copy_(torch.randn(p.shape, generator: generator) * std);
            ema.Reset();
            log.Write($"new run: {options.Model.Depth} blocks, width {options.Model.HiddenSize}, {options.Model.Heads} heads, patch {options.Model.PatchSize}, " +
                $"{model.parameters().Sum(p => p.numel()) / 1e6:F2} M parameters, batch {options.BatchSize}, lr {options.LearningRate}" +
                $"{(options.CooldownFraction > 0 ? $", cool-down over the last {options.CooldownFraction:P0} of the budget" : "")}" +
                $"{(options.MinSnrGamma is { } g ? $", Min-SNR γ {g}" : "")}{(options.GradientClip is { } c ? $", gradient clip {c}" : "")}" +
                $"{(options.LabelInitStd is { } ls ? $", class-embedding init std {ls}" : "")}{(options.LabelLearningRateScale != 1 ? $", class-embedding lr ×{options.LabelLearningRateScale}" : "")}" +
                $"{(options.AdditiveLabels ? ", additive class embedding (shape + colour)" : "")}" +
                $"{(options.ShapeWeights is { } w ? $", labelled samples drawn with shape weights {string.Join(" ", w.Select(kv => $"{kv.Key.ToString().ToLowerInvariant()}={kv.Value}"))}" : "")}" +
                $"{(options.BFloat16 ? ", bfloat16 forward/backward" : "")}");
        }

        var data = new ShapesDataset(options.Seed);
        var diffusion = new GaussianDiffusion(null, options.Model.Variance);
        int step = state.Step;
        double firstLoss = state.FirstLoss, lossSum = 0, lastLoss = double.NaN, recentLoss = double.NaN;
        int lossCount = 0;
        var session = Stopwatch.StartNew();
        var sinceLog = Stopwatch.StartNew();
        var sinceCheckpoint = Stopwatch.StartNew();
        int stepsSinceLog = 0;
        TimeSpan Trained() => TimeSpan.FromSeconds(state.TrainingSeconds) + session.Elapsed;
        bool Finished() => (options.MaxSteps is { } s && step >= s) || (options.MaxTime is { } t && Trained() >= t);

        void Checkpoint()
        {
            DiTCheckpoint.Save(model, modelPath);
            DiTCheckpoint.Save(emaModel, emaPath, new Dictionary<string, string> { ["flexidit.step"] = step.ToString() });
            optimizer.save_py(optimizerPath);
            File.WriteAllText(statePath, JsonSerializer.Serialize(new State(step, Trained().TotalSeconds, firstLoss, ema.Updates), StateJson));
            sinceCheckpoint.Restart();
        }

        model.train();
        using var replica = options.BFloat16 ? new BFloat16Replica(model) : null;
        while (!Finished() && !cancellationToken.IsCancellationRequested)
        {
            using (var scope = torch.NewDisposeScope())
            {
                double factor = LearningRateSchedule.Factor(step, options.WarmupSteps, options.CooldownSteps, options.MaxSteps);
                if (options.CooldownFraction > 0)
                    factor *= LearningRateSchedule.FactorByProgress(LearningRateSchedule.BudgetProgress(step, options.MaxSteps, Trained(), options.MaxTime), options.CooldownFraction);
                foreach (var (g, rate) in optimizer.ParamGroups.Zip(baseRates)) g.LearningRate = rate * factor;
                var (images, labels) = TrainingBatch(data, conditionalData, model.LabelEmbedder, step, generator);
                long[] indices = torch.randint(0, GaussianDiffusion.TrainingTimesteps, [options.BatchSize], generator: generator).data<long>().ToArray();
                var noise = torch.randn(images.shape, generator: generator);
                var xT = diffusion.QSample(images, indices, noise);
                var timesteps = diffusion.ModelTimesteps(indices, xT.device);
                optimizer.zero_grad();
                var output = replica is null ? model.Forward(xT, timesteps, labels) : replica.Forward(xT, timesteps, labels);
                var loss = diffusion.TrainingLoss(output, images, xT, indices, noise, options.MinSnrGamma).mean();
                loss.backward();
                replica?.CopyGradientsToMaster();
                if (options.GradientClip is { } maxNorm) torch.nn.utils.clip_grad_norm_(model.parameters(), maxNorm);
                optimizer.step();
                if (options.AdditiveLabels) AdditiveClassTable.Project(labelTable[0], Shapes, Colors);
                ema.Update();
                lastLoss = loss.item<float>();
            }
            step++;
            stepsSinceLog++;
            if (double.IsNaN(firstLoss)) firstLoss = lastLoss;
            lossSum += lastLoss;
            lossCount++;
            if (step % options.LogEvery == 0 || Finished())
            {
                double stepsPerSecond = stepsSinceLog / sinceLog.Elapsed.TotalSeconds;
                string eta = options.MaxSteps is { } total ? TimeSpan.FromSeconds((total - step) / stepsPerSecond).ToString(@"hh\:mm\:ss")
                    : options.MaxTime is { } limit ? (limit - Trained()).ToString(@"hh\:mm\:ss") : "?";
                log.Write($"step {step} loss {lossSum / lossCount:F4} lr {optimizer.ParamGroups.First().LearningRate:G3} {stepsPerSecond:F2} steps/s ({stepsPerSecond * options.BatchSize:F0} img/s) trained {Trained():hh\\:mm\\:ss} ETA {eta}");
                recentLoss = lossSum / lossCount;
                lossSum = 0;
                lossCount = 0;
                stepsSinceLog = 0;
                sinceLog.Restart();
            }
            if (sinceCheckpoint.Elapsed >= options.CheckpointEvery) Checkpoint();
        }
        Checkpoint();
        // The last line is the run's summary: the model card quotes it.
        log.Write($"{(cancellationToken.IsCancellationRequested ? "stopped" : "finished")} at step {step} after {Trained():hh\\:mm\\:ss} of training " +
            $"({step / Trained().TotalSeconds:F2} steps/s at batch {options.BatchSize}), loss {firstLoss:F3} → {recentLoss:F4}; EMA weights in " +
            Path.GetRelativePath(Environment.CurrentDirectory, emaPath));
        return new TrainResult(step, lastLoss, firstLoss, Trained(), emaPath);
    }

    /// <summary>
    /// One batch with its labels, a dropped label replaced by the null class. With shape weights, the samples
    /// that keep their label come from the weighted data and the dropped ones from the uniform data.
    /// </summary>
    private (Tensor Images, Tensor Labels) TrainingBatch(ShapesDataset data, ShapesDataset? conditionalData, LabelEmbedder labels, int step, Generator generator)
    {
        long start = (long)step * options.BatchSize;
        var drop = options.Model.ClassDropoutProb > 0 ? labels.DropMask(options.BatchSize, generator: generator) : null;
        bool[] dropped = drop is null ? new bool[options.BatchSize] : drop.data<bool>().ToArray();
        var attributes = Enumerable.Range(0, options.BatchSize)
            .Select(i => (dropped[i] ? data : conditionalData ?? data).Attributes(start + i)).ToArray();
        var (images, classes) = ShapesDataset.RenderBatch(attributes);
        return (images, drop is null ? classes : labels.DropLabels(classes, drop));
    }
}
