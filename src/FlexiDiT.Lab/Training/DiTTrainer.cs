using FlexiDiT.Checkpoints;
using FlexiDiT.Data;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FlexiDiT.Training;

/// <summary>
/// Trains a class-conditional DiT from scratch on Shapes, as DiT's <c>train.py</c> does: random timestep,
/// ε-MSE + VB loss, label dropout for guidance, AdamW, EMA. Checkpoints go to the run folder
/// (<c>model.safetensors</c>, <c>ema.safetensors</c> in the official names, <c>optimizer.pt</c>,
/// <c>state.json</c>) and a run started again on the same folder resumes where it stopped.
/// </summary>
public sealed class DiTTrainer(TrainOptions options, TextWriter? console = null)
{
    private static readonly int Shapes = Enum.GetValues<ShapeKind>().Length, Colors = ShapeColor.Palette.Count;

    /// <summary>Runs until the step or time limit; cancellation checkpoints and stops.</summary>
    public TrainResult Run(CancellationToken cancellationToken = default)
    {
        // Refuse before the run folder is touched, not at the first step.
        options.ValidateSchedule();
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
        var state = TrainingState.Read(statePath);
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
        var loop = new TrainingLoop(options, log);
        if (state is not null)
        {
            DiTCheckpoint.LoadInto(model, StateDictReader.Read(modelPath), modelPath);
            generator = loop.Resume(state, ema, path => DiTCheckpoint.LoadInto(emaModel, StateDictReader.Read(path), path), optimizer, emaPath, optimizerPath);
        }
        else
        {
            OfficialInit.Apply(model, generator);
            if (options.AdditiveLabels)
                AdditiveClassTable.Initialize(labelTable[0], Shapes, Colors, options.LabelInitStd ?? OfficialInit.EmbeddingStd, generator);
            else if (options.LabelInitStd is { } std)
                using (torch.no_grad()) foreach (var p in labelTable) p.copy_(torch.randn(p.shape, generator: generator) * std);
            ema.Reset();
            state = TrainingState.Start;
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
        model.train();
        using var replica = options.BFloat16 ? new BFloat16Replica(model) : null;
        double TrainStep(int step, double factor)
        {
            foreach (var (g, rate) in optimizer.ParamGroups.Zip(baseRates)) g.LearningRate = rate * factor;
            var (images, labels) = TrainingBatch(data, conditionalData, model.LabelEmbedder, step, generator);
            return loop.Step(images, diffusion, generator, optimizer, model.parameters(), ema,
                (xT, t) => replica is null ? model.Forward(xT, t, labels) : replica.Forward(xT, t, labels), replica,
                options.AdditiveLabels ? () => AdditiveClassTable.Project(labelTable[0], Shapes, Colors) : null);
        }
        void Checkpoint(TrainingState now)
        {
            DiTCheckpoint.Save(model, modelPath);
            DiTCheckpoint.Save(emaModel, emaPath, new Dictionary<string, string> { ["flexidit.step"] = now.Step.ToString() });
            optimizer.save_py(optimizerPath);
        }
        return loop.Run(state, TrainStep, Checkpoint, () => ema.Updates, emaPath, cancellationToken);
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
