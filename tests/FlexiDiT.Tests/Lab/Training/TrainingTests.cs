using FlexiDiT.Checkpoints;
using FlexiDiT.Data;
using FlexiDiT.Models;
using FlexiDiT.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Training;

/// <summary>Training and conversion on tiny settings: they learn, resume and keep the base exact.</summary>
public sealed class TrainingTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-train").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static DiTConfig Tiny => ShapesDataset.ModelConfig(depth: 1, hidden: 32, heads: 2);

    [Fact]
    public void Training_lowers_the_loss_and_resumes_where_it_stopped()
    {
        var options = new TrainOptions
        {
            RunDirectory = dir, Model = Tiny, BatchSize = 8, LearningRate = 2e-3, EmaDecay = 0.9, MaxSteps = 20, LogEvery = 10, MinSnrGamma = 5, GradientClip = 1,
        };
        var first = new DiTTrainer(options, TextWriter.Null).Run();
        Assert.Equal(20, first.Steps);
        var second = new DiTTrainer(options with { MaxSteps = 40 }, TextWriter.Null).Run();
        Assert.Equal(40, second.Steps);
        Assert.Equal(first.FirstLoss, second.FirstLoss);
        Assert.True(second.FinalLoss < 0.6 * second.FirstLoss, $"loss {second.FirstLoss:F3} → {second.FinalLoss:F3}");
        Assert.Contains("resumed at step 20", File.ReadAllText(Path.Combine(dir, "train.log")));
        // The log ends with the summary the model card quotes.
        Assert.StartsWith("finished at step 40 after ", TrainingLog.LastEntry(Path.Combine(dir, "train.log")));
        Assert.Contains("steps/s at batch 8), loss ", TrainingLog.LastEntry(Path.Combine(dir, "train.log")));
        // The EMA checkpoint is an official-format DiT.
        using (var ema = DiTCheckpoint.Load(first.EmaCheckpoint)) Assert.Equal(Tiny.HiddenSize, ema.Config.HiddenSize);

        // A run folder that travelled with only its live weights still resumes.
        File.Delete(Path.Combine(dir, "optimizer.pt"));
        File.Delete(Path.Combine(dir, "ema.safetensors"));
        var third = new DiTTrainer(options with { MaxSteps = 45 }, TextWriter.Null).Run();
        Assert.Equal(45, third.Steps);
        Assert.Contains("AdamW state not found", File.ReadAllText(Path.Combine(dir, "train.log")));
    }

    [Fact]
    public void Bfloat16_training_follows_float32_training_and_saves_float32_weights()
    {
        var options = new TrainOptions
        {
            RunDirectory = Path.Combine(dir, "f32"), Model = Tiny, BatchSize = 8, LearningRate = 2e-3, EmaDecay = 0.9, MaxSteps = 30, LogEvery = 10, GradientClip = 1,
        };
        var f32 = new DiTTrainer(options, TextWriter.Null).Run();
        var bf16 = new DiTTrainer(options with { RunDirectory = Path.Combine(dir, "bf16"), BFloat16 = true }, TextWriter.Null).Run();

        // Same seed and data: the first loss differs only by bfloat16 rounding, and it learns as fast.
        Assert.Equal(f32.FirstLoss, bf16.FirstLoss, 0.02 * f32.FirstLoss);
        Assert.True(bf16.FinalLoss < 0.6 * bf16.FirstLoss, $"bfloat16 loss {bf16.FirstLoss:F3} → {bf16.FinalLoss:F3}");
        Assert.Equal(f32.FinalLoss, bf16.FinalLoss, 0.2 * f32.FinalLoss);
        Assert.Contains("bfloat16 forward/backward", File.ReadAllText(Path.Combine(dir, "bf16", "train.log")));

        // The checkpoints are ordinary float32 DiTs, and the weights moved from the same initialisation
        // (a run of 0 steps saves it) in nearly the same direction and by nearly the same amount.
        new DiTTrainer(options with { RunDirectory = Path.Combine(dir, "init"), MaxSteps = 0 }, TextWriter.Null).Run();
        var init = Flat("init");
        var (f32Update, bf16Update) = (Flat("f32") - init, Flat("bf16") - init);
        double cosine = (f32Update * bf16Update).sum().item<float>() / (f32Update.norm() * bf16Update.norm()).item<float>();
        Assert.True(cosine > 0.95, $"cosine between the float32 and bfloat16 updates: {cosine:F3}");
        Assert.Equal(1.0, (bf16Update.norm() / f32Update.norm()).item<float>(), 0.1);

        Tensor Flat(string run)
        {
            using var model = DiTCheckpoint.Load(Path.Combine(dir, run, "model.safetensors"));
            Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
            return torch.cat(model.parameters().Select(p => p.detach().flatten()).ToArray());
        }
    }

    [Fact]
    public void An_additive_class_embedding_stays_additive_through_training_and_the_run_still_learns()
    {
        var options = new TrainOptions
        {
            RunDirectory = dir, Model = Tiny, BatchSize = 8, LearningRate = 2e-3, EmaDecay = 0.9, MaxSteps = 20, LogEvery = 10,
            GradientClip = 1, LabelInitStd = 1, LabelLearningRateScale = 5, AdditiveLabels = true,
        };
        var result = new DiTTrainer(options, TextWriter.Null).Run();

        Assert.True(result.FinalLoss < 0.6 * result.FirstLoss, $"loss {result.FirstLoss:F3} → {result.FinalLoss:F3}");
        Assert.Contains("additive class embedding", File.ReadAllText(Path.Combine(dir, "train.log")));
        foreach (string file in new[] { "model.safetensors", "ema.safetensors" })
        {
            using var model = DiTCheckpoint.Load(Path.Combine(dir, file));
            var table = model.LabelEmbedder.parameters().Single().detach();
            Assert.True(AdditiveClassTableTests.NonAdditivity(table) < 1e-4, $"{file}: non-additivity {AdditiveClassTableTests.NonAdditivity(table)}");
        }
    }

    [Fact]
    public void A_run_with_shape_weights_learns_and_its_log_says_how_it_drew_the_data()
    {
        var options = new TrainOptions
        {
            RunDirectory = dir, Model = Tiny, BatchSize = 8, LearningRate = 2e-3, EmaDecay = 0.9, MaxSteps = 20, LogEvery = 10,
            ShapeWeights = new Dictionary<ShapeKind, double> { [ShapeKind.Cross] = 2 },
        };
        var result = new DiTTrainer(options, TextWriter.Null).Run();
        Assert.True(result.FinalLoss < result.FirstLoss, $"loss {result.FirstLoss} → {result.FinalLoss}");
        Assert.Contains("shape weights cross=2", File.ReadLines(Path.Combine(dir, "train.log")).First());
    }

    [Fact]
    public void A_paused_run_stops_checkpointed_and_the_next_invocation_carries_on_to_the_budget()
    {
        var options = new TrainOptions { RunDirectory = dir, Model = Tiny, BatchSize = 4, MaxSteps = 6, CooldownFraction = 0.5, LogEvery = 100 };

        // Any training time passes the pause point of one tick: the run stops after its first step at the latest.
        var paused = new DiTTrainer(options with { PauseAfter = TimeSpan.FromTicks(1) }, TextWriter.Null).Run();
        Assert.InRange(paused.Steps, 0, 1);
        Assert.StartsWith($"paused at step {paused.Steps} after ", TrainingLog.LastEntry(Path.Combine(dir, "train.log")));

        var resumed = new DiTTrainer(options, TextWriter.Null).Run();
        Assert.Equal(6, resumed.Steps);
        Assert.StartsWith("finished at step 6 after ", TrainingLog.LastEntry(Path.Combine(dir, "train.log")));
    }

    [Fact]
    public void A_pause_point_of_zero_is_refused_before_the_run_folder_is_made()
    {
        string run = Path.Combine(dir, "never-made");
        var options = new TrainOptions { RunDirectory = run, Model = Tiny, MaxSteps = 2, PauseAfter = TimeSpan.Zero };
        Assert.Contains("--pause-at-minutes", Assert.Throws<ArgumentOutOfRangeException>(() => new DiTTrainer(options, TextWriter.Null).Run()).Message);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void A_cooldown_fraction_ends_the_run_at_a_learning_rate_near_zero()
    {
        var options = new TrainOptions { RunDirectory = dir, Model = Tiny, BatchSize = 4, LearningRate = 2e-3, MaxSteps = 20, LogEvery = 10, CooldownFraction = 0.5 };
        new DiTTrainer(options, TextWriter.Null).Run();
        var log = File.ReadAllLines(Path.Combine(dir, "train.log"));
        Assert.Contains("cool-down over the last 50", log[0]);
        // Step 10 ran at progress 0.45 (full rate), step 20 at 0.95: a tenth of the rate.
        Assert.Contains(" lr 0.002 ", log.Single(l => l.Contains(" step 10 loss ")));
        Assert.Contains(" lr 0.0002 ", log.Single(l => l.Contains(" step 20 loss ")));
    }

    [Fact]
    public void A_cooldown_in_steps_and_as_a_fraction_at_once_is_refused_before_the_run_folder_is_made()
    {
        string run = Path.Combine(dir, "never-made");
        var options = new TrainOptions { RunDirectory = run, Model = Tiny, MaxSteps = 100, CooldownSteps = 10, CooldownFraction = 0.3 };
        var error = Assert.Throws<ArgumentException>(() => new DiTTrainer(options, TextWriter.Null).Run());
        Assert.Contains("--cooldown-fraction", error.Message);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void A_missing_or_empty_log_has_no_summary_and_says_so()
    {
        string missing = Path.Combine(dir, "nothing.log"), empty = Path.Combine(dir, "empty.log");
        Assert.Contains("No log at", Assert.Throws<FileNotFoundException>(() => TrainingLog.LastEntry(missing)).Message);
        File.WriteAllText(empty, "\n");
        Assert.Contains("is empty", Assert.Throws<InvalidDataException>(() => TrainingLog.LastEntry(empty)).Message);
    }

    [Fact]
    public void A_cooldown_without_a_step_count_is_refused_before_the_run_folder_is_made()
    {
        string run = Path.Combine(dir, "never-made");
        var options = new TrainOptions { RunDirectory = run, Model = Tiny, MaxTime = TimeSpan.FromMinutes(1), CooldownSteps = 100 };
        var error = Assert.Throws<ArgumentException>(() => new DiTTrainer(options, TextWriter.Null).Run());
        Assert.Contains("--steps", error.Message);
        Assert.False(Directory.Exists(run));
    }

    [Fact]
    public void A_larger_class_embedding_initialisation_is_applied_to_a_new_run()
    {
        var options = new TrainOptions { RunDirectory = dir, Model = Tiny, BatchSize = 4, MaxSteps = 1, LabelInitStd = 1.0, LabelLearningRateScale = 5 };
        var result = new DiTTrainer(options, TextWriter.Null).Run();
        using var model = DiTCheckpoint.Load(Path.Combine(dir, "model.safetensors"));
        double std = model.LabelEmbedder.parameters().Single().std().item<float>();
        Assert.InRange(std, 0.8, 1.2);
        Assert.Contains("class-embedding init std 1, class-embedding lr ×5", File.ReadAllText(Path.Combine(dir, "train.log")));
        Assert.Equal(1, result.Steps);
    }

    [Fact]
    public void Data_free_conversion_lowers_the_distillation_loss_and_keeps_the_base_exact()
    {
        string reference = Path.Combine(TestPaths.ReferenceDirectory, "dit_tiny_a.safetensors");
        string output = Path.Combine(dir, "flexi.safetensors");
        var options = new ConvertOptions
        {
            BaseCheckpoint = reference, BaseConfig = Path.Combine(TestPaths.ReferenceDirectory, "dit_tiny_a.json"), Output = output,
            WeakPatch = 4, LoraRank = 4, DataFree = true, BatchSize = 4, LearningRate = 3e-3, MaxSteps = 60, LogEvery = 20,
            MinTimestep = 500,   // trajectories restart half-way, where the weak size is not trained
        };
        var result = new FlexiConverter(options, TextWriter.Null).Run();
        Assert.True(result.FinalLoss < result.FirstLoss, $"distillation loss {result.FirstLoss:F4} → {result.FinalLoss:F4}");

        AssertOriginalPatchSizeIsTheBase(reference, options.BaseConfig, output);
    }

    // The converted model at the original patch size must give the base model's outputs bit for bit.
    private static void AssertOriginalPatchSizeIsTheBase(string basePath, string? baseConfig, string convertedPath)
    {
        using var base_ = DiTCheckpoint.Load(basePath, baseConfig);
        using var flexible = DiTCheckpoint.Load(convertedPath);
        Assert.Equal([4], flexible.Config.FlexiPatchSizes);
        using var _ = torch.no_grad();
        var c = base_.Config;
        var x = randn(2, c.InChannels, c.InputSize, c.InputSize, generator: new Generator(9));
        var t = tensor(new long[] { 3, 700 });
        var y = tensor(new long[] { 2, c.NumClasses });   // a class and the null class
        Assert.True(base_.Forward(x, t, y).equal(flexible.Forward(x, t, y, c.PatchSize)).all().item<bool>());
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]   // bfloat16 forwards: the frozen base must still come out bit for bit
    public void Guided_conversion_on_shapes_lowers_its_loss_and_keeps_the_base_exact(bool bfloat16)
    {
        string basePath = Path.Combine(dir, "base.safetensors"), output = Path.Combine(dir, "guided.safetensors");
        using (var model = new DiT(Tiny))
        {
            OfficialInit.Apply(model, new Generator(5));
            using (torch.no_grad()) foreach (var p in model.parameters()) p.add_(randn(p.shape, generator: new Generator(6)) * 0.05);
            DiTCheckpoint.Save(model, basePath);
        }
        var options = new ConvertOptions
        {
            BaseCheckpoint = basePath, Output = output, WeakPatch = 4, LoraRank = 4, Loss = ConversionLoss.Guided,
            BatchSize = 4, LearningRate = 3e-3, MaxSteps = 40, LogEvery = 20, MinTimestep = 300, BFloat16 = bfloat16,
        };
        var result = new FlexiConverter(options, TextWriter.Null).Run();
        Assert.True(result.FinalLoss < 0.8 * result.FirstLoss, $"guided distillation loss {result.FirstLoss:F4} → {result.FinalLoss:F4}");
        Assert.Contains("after 40 steps at batch 4 in ", TrainingLog.LastEntry(output + ".log"));
        Assert.Contains($"(guided loss, lr 0.003, timesteps ≥ 300{(bfloat16 ? ", bfloat16" : "")}), loss ", TrainingLog.LastEntry(output + ".log"));

        AssertOriginalPatchSizeIsTheBase(basePath, null, output);
    }

    [Fact]
    public void The_guided_loss_weighs_an_error_in_the_class_signal_by_the_guidance_scale()
    {
        // Rows: conditional then unconditional; 6 channels (ε and variance), ε guided.
        var teacher = zeros(2, 6, 2, 2);
        var student = zeros(2, 6, 2, 2);
        student[0, ..3] = torch.tensor(0.1f);              // the conditional ε is off by 0.1
        var loss = FlexiConverter.GuidedDistillationLoss(student, teacher, scale: 4, guidedChannels: 3).item<float>();
        // guided error 4 × 0.1 on half the channels of the conditional row, + the conditional branch's own error.
        double expected = (0.4 * 0.4 / 2) + (0.1 * 0.1 / 2);
        Assert.Equal(expected, loss, precision: 5);
        Assert.Equal(0f, FlexiConverter.GuidedDistillationLoss(teacher, teacher, 4, 3).item<float>());
    }

    [Theory]
    [InlineData(-1)]
    [InlineData(1000)]
    public void Conversion_refuses_a_minimum_timestep_outside_the_schedule(int minTimestep)
    {
        string basePath = Path.Combine(dir, "base-t.safetensors");
        using (var model = new DiT(Tiny)) DiTCheckpoint.Save(model, basePath);
        var options = new ConvertOptions { BaseCheckpoint = basePath, Output = Path.Combine(dir, "x.safetensors"), MaxSteps = 1, MinTimestep = minTimestep };
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => new FlexiConverter(options, TextWriter.Null).Run());
        Assert.Contains("--min-timestep must lie in [0, 999]", e.Message);
        Assert.False(File.Exists(options.Output));
    }

    [Fact]
    public void Guided_conversion_refuses_a_model_without_a_null_class()
    {
        string basePath = Path.Combine(dir, "nonull.safetensors");
        using (var model = new DiT(Tiny with { ClassDropoutProb = 0 })) DiTCheckpoint.Save(model, basePath);
        var options = new ConvertOptions { BaseCheckpoint = basePath, Output = Path.Combine(dir, "x.safetensors"), Loss = ConversionLoss.Guided, MaxSteps = 1 };
        var e = Assert.Throws<ArgumentException>(() => new FlexiConverter(options, TextWriter.Null).Run());
        Assert.Contains("null class", e.Message);
    }

    [Fact]
    public void An_xl_width_model_is_converted_without_fine_tuning()
    {
        var config = DiTConfig.Official("DiT-XL/2") with { Depth = 1 };
        string basePath = Path.Combine(dir, "xl.safetensors"), output = Path.Combine(dir, "xl-flexi.safetensors");
        using (var model = new DiT(config))
        {
            OfficialInit.Apply(model, new Generator(4));
            DiTCheckpoint.Save(model, basePath);
        }
        var result = new FlexiConverter(new ConvertOptions { BaseCheckpoint = basePath, Output = output, MaxSteps = 0 }, TextWriter.Null).Run();
        Assert.Equal(0, result.Steps);
        using var flexible = DiTCheckpoint.Load(output);
        Assert.Equal((1152, 16), (flexible.Config.HiddenSize, flexible.Config.Heads));
        Assert.Equal([4], flexible.Config.FlexiPatchSizes);
    }

    [Fact]
    public void Conversion_with_data_rejects_a_model_that_is_not_shapes()
    {
        var options = new ConvertOptions { BaseCheckpoint = Path.Combine(TestPaths.ReferenceDirectory, "dit_tiny_a.safetensors"), Output = Path.Combine(dir, "x.safetensors"), MaxSteps = 1 };
        var e = Assert.Throws<ArgumentException>(() => new FlexiConverter(options, TextWriter.Null).Run());
        Assert.Contains("--data-free", e.Message);
    }
}
