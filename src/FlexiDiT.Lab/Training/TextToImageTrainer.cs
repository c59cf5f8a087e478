using FlexiDiT.Checkpoints;
using FlexiDiT.Data.Scenes;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FlexiDiT.Training;

/// <summary>
/// Trains a <see cref="TextToImageModel"/> (caption encoder + PixArt-α) from scratch on captioned Shapes scenes with
/// the loop the class-conditional trainer uses (<see cref="TrainingLoop"/>): random timestep, ε-MSE + VB loss
/// (optionally Min-SNR weighted), caption dropout to the null caption for guidance, AdamW, EMA, bfloat16 replica.
/// The run folder holds <c>model.safetensors</c>, <c>ema.safetensors</c>, <c>optimizer.pt</c>, <c>state.json</c>,
/// <c>vocab.txt</c> and <c>train.log</c>; a run started again on it resumes where it stopped (sample i of step s is
/// always the same scene and caption, and the random generator restarts from the seed and the step).
/// </summary>
public sealed class TextToImageTrainer(TextToImageTrainOptions options, TextWriter? console = null)
{
    /// <summary>Runs until the step or time limit; cancellation checkpoints and stops.</summary>
    public TrainResult Run(CancellationToken cancellationToken = default)
    {
        options.ValidateSchedule();
        options.Model.Validate();
        var tokenizer = SceneTokenizer.FromGrammar(options.Model.Denoiser.ModelMaxLength);
        if (tokenizer.VocabularySize != options.Model.VocabularySize)
            throw new ArgumentException($"The model embeds {options.Model.VocabularySize} token ids but the grammar's tokenizer has {tokenizer.VocabularySize}.", nameof(options));
        Directory.CreateDirectory(options.RunDirectory);
        var log = new TrainingLog(Path.Combine(options.RunDirectory, "train.log"), console);
        string modelPath = Path.Combine(options.RunDirectory, "model.safetensors");
        string emaPath = Path.Combine(options.RunDirectory, "ema.safetensors");
        string optimizerPath = Path.Combine(options.RunDirectory, "optimizer.pt");
        var state = TrainingState.Read(Path.Combine(options.RunDirectory, "state.json"));

        var generator = new Generator((ulong)options.Seed);
        using var model = new TextToImageModel(options.Model);
        using var emaModel = new TextToImageModel(options.Model);
        var optimizer = torch.optim.AdamW(model.parameters(), lr: options.LearningRate, weight_decay: options.WeightDecay);
        var ema = new Ema(emaModel, model, options.EmaDecay);
        var loop = new TrainingLoop(options, log);
        if (state is not null)
        {
            var saved = TextToImageCheckpoint.ReadConfig(modelPath);
            if (!saved.SameAs(options.Model))
                throw new ArgumentException($"The run in {options.RunDirectory} was started with another architecture; resume it with the same --depth/--hidden/--heads/caption settings or use a new --run folder.", nameof(options));
            TextToImageCheckpoint.LoadInto(model, modelPath);
            generator = loop.Resume(state, ema, path => TextToImageCheckpoint.LoadInto(emaModel, path), optimizer, emaPath, optimizerPath);
        }
        else
        {
            model.Initialize(generator);
            ema.Reset();
            state = TrainingState.Start;
            SceneVocabulary.Write(Path.Combine(options.RunDirectory, "vocab.txt"));
            var d = options.Model.Denoiser;
            log.Write($"new text-to-image run: PixArt {d.Depth} blocks, width {d.HiddenSize}, {d.NumHeads} heads, patch {d.PatchSize}, " +
                $"caption encoder {options.Model.EncoderDepth} layers × {d.CaptionChannels} ({options.Model.EncoderHeads} heads) over {d.ModelMaxLength} tokens, " +
                $"{model.parameters().Sum(p => p.numel()) / 1e6:F2} M parameters, batch {options.BatchSize}, lr {options.LearningRate}, warm-up {options.WarmupSteps}" +
                $"{(options.CooldownFraction > 0 ? $", cool-down over the last {options.CooldownFraction:P0} of the budget" : "")}" +
                $", caption dropout {d.ClassDropoutProb:P0}{(options.MinSnrGamma is { } g ? $", Min-SNR γ {g}" : "")}{(options.GradientClip is { } c ? $", gradient clip {c}" : "")}" +
                $"{(options.BFloat16 ? ", bfloat16 forward/backward" : "")}");
        }

        if (options.ObjectWeight > 0)
            log.Write($"object pixels weigh {1 + options.ObjectWeight} in the ε loss until the cool-down, falling to 1 by its middle");
        var data = new SceneDataset(options.Seed);
        var diffusion = new GaussianDiffusion(null, options.Model.Denoiser.Variance);
        model.train();
        using var replica = options.BFloat16 ? new BFloat16Replica(model, new TextToImageModel(options.Model)) : null;
        double TrainStep(int step, double factor)
        {
            foreach (var g in optimizer.ParamGroups) g.LearningRate = options.LearningRate * factor;
            var batch = data.Batch((long)step * options.BatchSize, options.BatchSize);
            var (ids, mask) = tokenizer.EncodeBatch(batch.Captions);
            var drop = torch.rand(options.BatchSize, generator: generator).lt(options.Model.Denoiser.ClassDropoutProb);
            double objectWeight = options.ObjectWeightAt(step, factor);
            using var pixelWeights = objectWeight > 0 ? batch.ObjectMask() * objectWeight + 1 : null;
            return loop.Step(batch.Images, diffusion, generator, optimizer, model.parameters(), ema,
                (xT, t) => replica is null
                    ? model.Forward(xT, t, ids, mask, drop)
                    : replica.Run(m => ((TextToImageModel)m).Forward(xT.to(ScalarType.BFloat16), t, ids, mask, drop)),
                replica, pixelWeights: pixelWeights);
        }
        void Checkpoint(TrainingState now)
        {
            TextToImageCheckpoint.Save(model, modelPath);
            TextToImageCheckpoint.Save(emaModel, emaPath, new Dictionary<string, string> { ["flexidit.step"] = now.Step.ToString() });
            optimizer.save_py(optimizerPath);
        }
        return loop.Run(state, TrainStep, Checkpoint, () => ema.Updates, emaPath, cancellationToken);
    }
}
