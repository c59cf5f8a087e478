using FlexiDiT.Checkpoints;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Sampling;
using FlexiDiT.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Training;

/// <summary>The text-to-image trainer on tiny settings: it resumes, and its checkpoint samples through the engine.</summary>
public sealed class TextToImageTrainingTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-t2i").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static TextToImageConfig Tiny =>
        TextToImageConfig.Scenes(SceneTokenizer.FromGrammar(24).VocabularySize, depth: 1, hidden: 32, heads: 2, captionWidth: 32, captionTokens: 24, encoderDepth: 1, encoderHeads: 2);

    private TextToImageTrainOptions Options(int steps) => new()
    {
        RunDirectory = dir, Model = Tiny, BatchSize = 4, LearningRate = 2e-3, EmaDecay = 0.9, MaxSteps = steps, LogEvery = 2, MinSnrGamma = 5, GradientClip = 1,
    };

    [Fact]
    public void Training_resumes_its_step_count_and_its_checkpoint_samples_captions_deterministically()
    {
        var first = new TextToImageTrainer(Options(4), TextWriter.Null).Run();
        Assert.Equal(4, first.Steps);
        var second = new TextToImageTrainer(Options(7), TextWriter.Null).Run();
        Assert.Equal(7, second.Steps);
        Assert.Equal(first.FirstLoss, second.FirstLoss);
        Assert.True(double.IsFinite(second.FinalLoss) && double.IsFinite(second.FirstLoss), $"loss {second.FirstLoss} → {second.FinalLoss}");
        Assert.Contains("resumed at step 4", File.ReadAllText(Path.Combine(dir, "train.log")));
        Assert.StartsWith("finished at step 7 ", TrainingLog.LastEntry(Path.Combine(dir, "train.log")));

        using var model = TextToImageCheckpoint.Load(second.EmaCheckpoint);
        Assert.Equal(Tiny.Denoiser.HiddenSize, model.Config.Denoiser.HiddenSize);
        var tokenizer = SceneTokenizer.FromGrammar(model.Config.Denoiser.ModelMaxLength);
        string[] captions = ["a red ring in the top left corner", "a small blue square"];
        var plan = ComputePlan.Full("full", "4", model.Config.Denoiser.PatchSize, guidanceScale: 3.0);
        Tensor Draw()
        {
            using var condition = model.Encode(captions, tokenizer);
            return new Sampler(model.Denoiser).Sample(plan, condition, new SeededNoise(11)).Samples;
        }
        using var a = Draw();
        using var b = Draw();
        Assert.Equal([2L, 3, 32, 32], a.shape);
        Assert.True(a.isfinite().all().item<bool>());
        Assert.True(a.allclose(b, rtol: 0, atol: 0), "same captions and seed must give the same images");
    }

    [Fact]
    public void Bfloat16_text_to_image_training_saves_float32_weights_that_resume_in_float32()
    {
        var bf16 = new TextToImageTrainer(Options(3) with { BFloat16 = true }, TextWriter.Null).Run();
        Assert.True(double.IsFinite(bf16.FinalLoss));
        using (var model = TextToImageCheckpoint.Load(bf16.EmaCheckpoint))
            Assert.All(model.parameters(), p => Assert.Equal(ScalarType.Float32, p.dtype));
        Assert.Equal(5, new TextToImageTrainer(Options(5), TextWriter.Null).Run().Steps);
    }

    [Fact]
    public void Resuming_with_another_architecture_is_refused_with_what_to_do()
    {
        new TextToImageTrainer(Options(1), TextWriter.Null).Run();
        var wider = Options(2) with { Model = Tiny with { Denoiser = Tiny.Denoiser with { HiddenSize = 64 } } };
        var error = Assert.Throws<ArgumentException>(() => new TextToImageTrainer(wider, TextWriter.Null).Run());
        Assert.Contains("another architecture", error.Message);
    }

    [Fact]
    public void Dropped_captions_are_replaced_by_the_null_caption()
    {
        using var model = new TextToImageModel(Tiny);
        // The official init zeroes the cross-attention's output (the caption has no effect yet): use random weights.
        using (torch.no_grad())
            foreach (var p in model.parameters()) p.copy_(torch.randn(p.shape, generator: new Generator(3)) * 0.1);
        model.eval();
        var tokenizer = SceneTokenizer.FromGrammar(24);
        var (ids, mask) = tokenizer.EncodeBatch(["a red ring", "a small blue square"]);
        var (ids2, _) = tokenizer.EncodeBatch(["a green star", "a large yellow cross"]);
        using var _ = torch.no_grad();
        var x = torch.randn(2, 3, 32, 32, generator: new Generator(1));
        var t = torch.tensor(new long[] { 500, 500 });
        var drop = torch.tensor(new[] { true, true });
        // With every caption dropped only the mask remains of the caption, so other words give the same output.
        Assert.True(model.Forward(x, t, ids, mask, drop).allclose(model.Forward(x, t, ids2, mask, drop), rtol: 0, atol: 1e-6));
        Assert.False(model.Forward(x, t, ids, mask).allclose(model.Forward(x, t, ids2, mask), rtol: 0, atol: 1e-6));
    }
}
