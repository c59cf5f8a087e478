using FlexiDiT.Checkpoints;
using FlexiDiT.Data.Scenes;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Tests.Cli;
using FlexiDiT.TextEncoders;
using FlexiDiT.Training;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Training;

/// <summary>
/// <c>flexidit convert</c> on a text-to-image scenes checkpoint: the weak patch size learns on real captioned scenes,
/// the original weights and the caption encoder stay exact, and the run resumes like a training run.
/// </summary>
public sealed class TextToImageConversionTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-t2i-convert").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Base => Path.Combine(dir, "base.safetensors");

    private ConvertOptions Options(string output, int steps) => new()
    {
        BaseCheckpoint = File.Exists(Base) ? Base : TinyTextToImage.Write(Base), Output = output, WeakPatch = 4, LoraRank = 4,
        BatchSize = 4, MaxSteps = steps, LogEvery = 5, LearningRate = 3e-3,
    };

    // The weak patch size's squared distance to the original's output on fixed scenes, captions, noise and timesteps.
    private static double WeakError(TextToImageModel model)
    {
        using var _ = no_grad();
        var scenes = new SceneDataset(99).Batch(0, 8);
        var (ids, mask) = SceneTokenizer.FromGrammar(model.Config.Denoiser.ModelMaxLength).EncodeBatch(scenes.Captions);
        var diffusion = new GaussianDiffusion(null, model.Config.Denoiser.Variance);
        long[] indices = [100, 200, 300, 400, 500, 600, 700, 900];
        var xT = diffusion.QSample(scenes.Images, indices, randn(scenes.Images.shape, generator: new Generator(5)));
        var t = diffusion.ModelTimesteps(indices, xT.device);
        return (model.Forward(xT, t, ids, mask, patchSize: 4) - model.Forward(xT, t, ids, mask, patchSize: 2)).pow(2).mean().item<float>();
    }

    [Fact]
    public void Conversion_on_scenes_lowers_the_weak_error_trains_only_the_weak_parts_and_keeps_the_original_exact()
    {
        string output = Path.Combine(dir, "flexi.safetensors");
        var result = new FlexiConverter(Options(output, 30), TextWriter.Null).Run();
        Assert.Equal(30, result.Steps);
        Assert.Contains("on real captioned scenes (caption encoder frozen", File.ReadAllText(output + ".log"));

        using var original = TextToImageCheckpoint.Load(Base);
        using var initialised = TextToImageCheckpoint.Load(Base);
        Flexify.AddWeakPatchSize(initialised.Denoiser, 4, 4);
        using var converted = TextToImageCheckpoint.Load(output);
        Assert.Equal([2, 4], converted.Config.Denoiser.AllPatchSizes);
        double before = WeakError(initialised), after = WeakError(converted);
        Assert.True(after < 0.8 * before, $"weak patch error {before:F5} → {after:F5}");

        var originalWeights = original.state_dict();
        var convertedWeights = converted.state_dict();
        Assert.Contains(originalWeights.Keys, k => k.StartsWith("text_encoder.", StringComparison.Ordinal));
        foreach (var (name, value) in originalWeights)
            Assert.True(value.equal(convertedWeights[name]).all().item<bool>(), $"{name} changed");
        var init = initialised.state_dict();
        Assert.Contains(convertedWeights.Keys, k => k.Contains(".lora.", StringComparison.Ordinal) && !convertedWeights[k].equal(init[k]).all().item<bool>());

        // The caption encoder half still loads as the text encoder, and the original patch size runs the original exactly.
        using var encoder = SceneTextEncoder.Load(output);
        using var condition = encoder.Encode(["a red ring in the top left corner", "a small blue square"]);
        using var _ = no_grad();
        var x = randn(2, 3, 32, 32, generator: new Generator(7));
        var t = tensor(new long[] { 10, 900 });
        Assert.True(original.Denoiser.Forward(x, t, condition, 2).equal(converted.Denoiser.Forward(x, t, condition, 2)).all().item<bool>());
    }

    [Fact]
    public void A_conversion_resumed_after_3_steps_ends_where_an_uninterrupted_one_does()
    {
        var options = Options(Path.Combine(dir, "once.safetensors"), 5) with { Loss = ConversionLoss.Denoise, MinSnrGamma = 5 };
        new FlexiConverter(options, TextWriter.Null).Run();
        string resumedOutput = Path.Combine(dir, "twice.safetensors");
        Assert.Equal(3, new FlexiConverter(options with { Output = resumedOutput, MaxSteps = 3 }, TextWriter.Null).Run().Steps);
        var resumed = new FlexiConverter(options with { Output = resumedOutput }, TextWriter.Null).Run();
        Assert.Equal(5, resumed.Steps);
        Assert.Contains("resumed at step 3", File.ReadAllText(resumedOutput + ".log"));
        Assert.True(Directory.Exists(Path.Combine(dir, "twice-run")));

        using var once = TextToImageCheckpoint.Load(options.Output);
        using var twice = TextToImageCheckpoint.Load(resumedOutput);
        var a = once.state_dict();
        foreach (var (name, value) in twice.state_dict())
            Assert.True(value.allclose(a[name], rtol: 0, atol: 1e-6), $"{name} differs after resuming by {(value - a[name]).abs().max().item<float>()} of {a[name].abs().max().item<float>()}");
    }

    [Fact]
    public void The_convert_command_detects_a_text_to_image_checkpoint_trains_it_with_its_training_loss_and_refuses_data_free()
    {
        TinyTextToImage.Write(Base);
        var r = FlexiditProcess.Run(dir, "convert", "--from", Base, "--weak-patch", "4", "--lora-rank", "4", "--min-snr", "5", "--steps", "2", "--batch", "2", "--out", "cli.safetensors");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("converted in 2 steps", r.Stdout);
        Assert.Contains("denoise loss on real captioned scenes", File.ReadAllText(Path.Combine(dir, "cli.safetensors.log")));   // the training loss by default
        using (var converted = TextToImageCheckpoint.Load(Path.Combine(dir, "cli.safetensors")))
            Assert.Equal([2, 4], converted.Config.Denoiser.AllPatchSizes);

        var dataFree = Assert.Throws<ArgumentException>(() => new FlexiConverter(Options(Path.Combine(dir, "x.safetensors"), 1) with { DataFree = true }, TextWriter.Null).Run());
        Assert.Contains("leave out --data-free", dataFree.Message);
    }
}
