using System.Diagnostics;
using FlexiDiT.Diffusion;
using TorchSharp;
using TorchSharp.Modules;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FlexiDiT.Training;

/// <summary>
/// The loop every diffusion trainer shares (DiT's <c>train.py</c> loop): learning rate by the warm-up/cool-down
/// schedule, one AdamW step on the ε-MSE (+ VB) loss at a random timestep (<see cref="TimestepDraw"/>), EMA update, progress lines, periodic
/// checkpoints and a resumable budget of steps or minutes counted across resumes. What differs between models
/// (the batch and its condition, the forward) comes in as a delegate.
/// </summary>
public sealed class TrainingLoop(DiffusionTrainOptions options, TrainingLog log)
{
    /// <summary>
    /// Restores what a resumed run kept besides its live weights: the EMA weights (through <paramref name="loadEma"/>)
    /// and AdamW's moments, each where its file exists, since a run folder may travel with only the live weights
    /// (AdamW then restarts its moments and the EMA restarts from the live weights). Logs the resume and returns the
    /// random generator for the next step: it restarts from the seed and the step, so step s always sees the same data.
    /// </summary>
    public Generator Resume(TrainingState state, Ema ema, Action<string> loadEma, AdamW optimizer, string emaPath, string optimizerPath)
    {
        bool hasEma = File.Exists(emaPath), hasOptimizer = File.Exists(optimizerPath);
        if (hasEma) loadEma(emaPath);
        if (hasOptimizer) optimizer.load_py(optimizerPath);
        // Runs checkpointed before the EMA warm-up existed averaged from step 0.
        ema.Updates = state.EmaUpdates ?? state.Step;
        bool resetEma = options.ResetEma || !hasEma;
        if (resetEma) ema.Reset();
        log.Write($"resumed at step {state.Step} ({state.TrainingSeconds / 60:F1} min trained){(resetEma ? ", EMA restarted from the live weights" : "")}{(hasOptimizer ? "" : ", AdamW state not found: fresh moments")}");
        return new Generator((ulong)(options.Seed + state.Step));
    }

    /// <summary>
    /// One optimisation step on <paramref name="images"/>: noise at random timesteps, <paramref name="forward"/>
    /// (noisy images, model timesteps → model output, possibly through a bfloat16 replica), loss, backward,
    /// gradient clip, AdamW, <paramref name="afterOptimizerStep"/> (e.g. a projection of the weights, which the EMA
    /// must see), EMA. <paramref name="pixelWeights"/> (N, 1, H, W) weighs each pixel's ε error. Returns the loss.
    /// </summary>
    public double Step(Tensor images, GaussianDiffusion diffusion, Generator generator, AdamW optimizer,
        IEnumerable<Parameter> parameters, Ema ema, Func<Tensor, Tensor, Tensor> forward, BFloat16Replica? replica, Action? afterOptimizerStep = null, Tensor? pixelWeights = null)
    {
        long[] indices = TimestepDraw.Sample(images.shape[0], generator, options.HighNoiseShare);
        var noise = torch.randn(images.shape, generator: generator);
        var xT = diffusion.QSample(images, indices, noise);
        var timesteps = diffusion.ModelTimesteps(indices, xT.device);
        optimizer.zero_grad();
        var output = forward(xT, timesteps);
        var loss = diffusion.TrainingLoss(output, images, xT, indices, noise, options.MinSnrGamma, pixelWeights).mean();
        loss.backward();
        replica?.CopyGradientsToMaster();
        if (options.GradientClip is { } maxNorm) torch.nn.utils.clip_grad_norm_(parameters, maxNorm);
        optimizer.step();
        afterOptimizerStep?.Invoke();
        ema.Update();
        return loss.item<float>();
    }

    /// <summary>
    /// Runs from <paramref name="state"/> until the budget is spent or <paramref name="cancellationToken"/> fires.
    /// <paramref name="trainStep"/> takes the step index and the learning-rate factor and returns the loss;
    /// <paramref name="checkpoint"/> saves the weights and optimizer for the state it is given (the loop writes
    /// <c>state.json</c> after it). Cancellation checkpoints and stops. The summary line names <paramref name="emaPath"/>
    /// as <paramref name="weightsName"/> (a run without an EMA names its live weights).
    /// </summary>
    public TrainResult Run(TrainingState state, Func<int, double, double> trainStep, Action<TrainingState> checkpoint,
        Func<long> emaUpdates, string emaPath, CancellationToken cancellationToken, string weightsName = "EMA weights")
    {
        string statePath = Path.Combine(options.RunDirectory, "state.json");
        if (options.HighNoiseShare > 0)
            log.Write($"timesteps: {options.HighNoiseShare:P0} of the samples from the noisier half (t ≥ {GaussianDiffusion.TrainingTimesteps / 2}), the rest uniform");
        int step = state.Step;
        double firstLoss = state.FirstLoss, lossSum = 0, lastLoss = double.NaN, recentLoss = double.NaN;
        int lossCount = 0, stepsSinceLog = 0;
        double learningRate = options.LearningRate;
        var session = Stopwatch.StartNew();
        var sinceLog = Stopwatch.StartNew();
        var sinceCheckpoint = Stopwatch.StartNew();
        TimeSpan Trained() => TimeSpan.FromSeconds(state.TrainingSeconds) + session.Elapsed;
        bool Finished() => (options.MaxSteps is { } s && step >= s) || (options.MaxTime is { } t && Trained() >= t);
        bool Paused() => options.PauseAfter is { } p && Trained() >= p;

        void Checkpoint()
        {
            var now = new TrainingState(step, Trained().TotalSeconds, firstLoss, emaUpdates());
            checkpoint(now);
            now.Write(statePath);
            sinceCheckpoint.Restart();
        }

        while (!Finished() && !Paused() && !cancellationToken.IsCancellationRequested)
        {
            double factor = LearningRateSchedule.Factor(step, options.WarmupSteps, options.CooldownSteps, options.MaxSteps);
            if (options.CooldownFraction > 0)
                factor *= LearningRateSchedule.FactorByProgress(LearningRateSchedule.BudgetProgress(step, options.MaxSteps, Trained(), options.MaxTime), options.CooldownFraction);
            learningRate = options.LearningRate * factor;
            using (torch.NewDisposeScope()) lastLoss = trainStep(step, factor);
            step++;
            stepsSinceLog++;
            if (double.IsNaN(firstLoss)) firstLoss = lastLoss;
            lossSum += lastLoss;
            lossCount++;
            if (step % options.LogEvery == 0 || Finished() || Paused())
            {
                double stepsPerSecond = stepsSinceLog / sinceLog.Elapsed.TotalSeconds;
                string eta = options.MaxSteps is { } total ? TimeSpan.FromSeconds((total - step) / stepsPerSecond).ToString(@"hh\:mm\:ss")
                    : options.MaxTime is { } limit ? (limit - Trained()).ToString(@"hh\:mm\:ss") : "?";
                log.Write($"step {step} loss {lossSum / lossCount:F4} lr {learningRate:G3} {stepsPerSecond:F2} steps/s ({stepsPerSecond * options.BatchSize:F0} img/s) trained {Trained():hh\\:mm\\:ss} ETA {eta}");
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
        string end = Finished() ? "finished" : cancellationToken.IsCancellationRequested ? "stopped" : "paused";
        log.Write($"{end} at step {step} after {Trained():hh\\:mm\\:ss} of training " +
            $"({step / Trained().TotalSeconds:F2} steps/s at batch {options.BatchSize}), loss {firstLoss:F3} → {recentLoss:F4}; {weightsName} in " +
            Path.GetRelativePath(Environment.CurrentDirectory, emaPath));
        return new TrainResult(step, lastLoss, firstLoss, Trained(), emaPath);
    }
}
