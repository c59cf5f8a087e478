using FlexiDiT.Checkpoints;
using FlexiDiT.Models;
using FlexiDiT.Tests.Cli;
using FlexiDiT.Tests.TextEncoders;
using FlexiDiT.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Training;

/// <summary>
/// <c>flexidit convert</c> on a PixArt-α: distillation of the weak patch size on caption-conditioned trajectories
/// (the tiny reference PixArt with the tiny reference T5), frozen original weights, exact original patch size.
/// </summary>
public sealed class PixArtConversionTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-pixart-convert").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string BasePath => TestPaths.Reference("pixart_tiny_a.safetensors");
    private static string BaseConfig => TestPaths.Reference("pixart_tiny_a.json");

    /// <summary>A T5 folder as packs hold it (config.json, model.safetensors, spiece.model) made of the tiny reference T5.</summary>
    private string TextEncoderFolder()
    {
        string folder = Directory.CreateDirectory(Path.Combine(dir, "t5")).FullName;
        File.Copy(T5Files.Weights, Path.Combine(folder, "model.safetensors"));
        File.Copy(T5Files.Config, Path.Combine(folder, "config.json"));
        File.Copy(T5Files.Spiece, Path.Combine(folder, "spiece.model"));
        return folder;
    }

    private string CaptionsFile()
    {
        string path = Path.Combine(dir, "captions.txt");
        File.WriteAllLines(path, ["a red circle on a blue background", "", "two green squares", "a small yellow triangle", "a cat"]);
        return path;
    }

    private ConvertOptions Options(string output, bool captions) => new()
    {
        BaseCheckpoint = BasePath, BaseConfig = BaseConfig, Output = output, WeakPatch = 4, LoraRank = 4, DataFree = true,
        BatchSize = 4, MaxSteps = 30, LogEvery = 10, MinTimestep = 500, LearningRate = 3e-3,
        CaptionsPath = captions ? CaptionsFile() : null, TextEncoderPath = captions ? TextEncoderFolder() : null,
    };

    [Fact]
    public void Caption_conditioned_distillation_lowers_the_loss_trains_only_the_weak_parts_and_keeps_the_original_exact()
    {
        string output = Path.Combine(dir, "flexi.safetensors");
        var options = Options(output, captions: true);
        var result = new FlexiConverter(options, TextWriter.Null).Run();

        Assert.Equal(30, result.Steps);
        Assert.True(result.FinalLoss < result.FirstLoss, $"distillation loss {result.FirstLoss:F5} → {result.FinalLoss:F5}");
        var log = File.ReadAllText(output + ".log");
        Assert.Contains("for 4 captions of captions.txt", log);   // the empty line is not a caption
        Assert.Contains("weight decay 0.01, clip 0.02", TrainingLog.LastEntry(output + ".log"));   // the method's text-to-image defaults

        using var original = PixArtCheckpoint.Load(BasePath, BaseConfig);
        using var converted = PixArtCheckpoint.Load(output);
        Assert.Equal([4], converted.Config.FlexiPatchSizes);
        var before = original.state_dict();
        var after = converted.state_dict();
        foreach (var (name, value) in before)
            Assert.True(value.equal(after[name]).all().item<bool>(), $"{name} changed");

        // The weak size's parts moved away from Flexify's initialisation (LoRA B starts at zero).
        using var initialised = PixArtCheckpoint.Load(BasePath, BaseConfig);
        Flexify.AddWeakPatchSize(initialised, 4, 4);
        var init = initialised.state_dict();
        var weakNames = after.Keys.Where(k => !before.ContainsKey(k)).ToList();
        Assert.Contains(weakNames, k => k.Contains(".lora.", StringComparison.Ordinal));
        Assert.Contains(weakNames, k => k.Contains(".lora.", StringComparison.Ordinal) && k.Contains("cross_attn", StringComparison.Ordinal));
        Assert.Contains(weakNames, k => k.Contains(".lora.", StringComparison.Ordinal) && !after[k].equal(init[k]).all().item<bool>());

        // The powerful patch reproduces the original bit for bit, with and without a mask.
        using var _ = torch.no_grad();
        var c = original.Config;
        var x = randn(2, c.InChannels, c.InputSize, c.InputSize, generator: new Generator(3));
        var t = tensor(new long[] { 10, 900 });
        var y = randn(2, c.ModelMaxLength, c.CaptionChannels, generator: new Generator(4));
        var mask = tensor(new long[,] { { 1, 1, 1, 0, 0, 0, 0, 0 }, { 1, 1, 1, 1, 1, 1, 1, 1 } });
        Assert.True(original.Forward(x, t, y, mask).equal(converted.Forward(x, t, y, mask, c.PatchSize)).all().item<bool>());
        Assert.True(original.Forward(x, t, y).equal(converted.Forward(x, t, y, null, c.PatchSize)).all().item<bool>());
    }

    [Fact]
    public void Without_captions_it_distils_on_null_caption_trajectories()
    {
        string output = Path.Combine(dir, "null.safetensors");
        var result = new FlexiConverter(Options(output, captions: false) with { MaxSteps = 20 }, TextWriter.Null).Run();
        Assert.True(result.FinalLoss < result.FirstLoss, $"distillation loss {result.FirstLoss:F5} → {result.FinalLoss:F5}");
        Assert.Contains("(null caption, unguided)", File.ReadAllText(output + ".log"));
    }

    [Fact]
    public void The_convert_command_converts_a_pixart_on_captions()
    {
        var r = FlexiditProcess.Run(dir, "convert", "--from", BasePath, "--config", BaseConfig, "--weak-patch", "4", "--lora-rank", "4",
            "--data-free", "--captions", CaptionsFile(), "--text-encoder", TextEncoderFolder(), "--steps", "3", "--batch", "2", "--out", "cli.safetensors");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("converted in 3 steps", r.Stdout);
        using var converted = PixArtCheckpoint.Load(Path.Combine(dir, "cli.safetensors"));
        Assert.Equal([2, 4], converted.Config.AllPatchSizes);
    }

    [Fact]
    public void Conversion_refuses_what_it_cannot_do_for_a_pixart_and_says_what_to_give()
    {
        string output = Path.Combine(dir, "x.safetensors");
        var noDataFree = Assert.Throws<ArgumentException>(() => new FlexiConverter(Options(output, false) with { DataFree = false }, TextWriter.Null).Run());
        Assert.Contains("--data-free", noDataFree.Message);
        var half = Assert.Throws<ArgumentException>(() => new FlexiConverter(Options(output, false) with { CaptionsPath = CaptionsFile() }, TextWriter.Null).Run());
        Assert.Contains("--captions and --text-encoder together", half.Message);
        var guided = Assert.Throws<ArgumentException>(() => new FlexiConverter(Options(output, false) with { Loss = ConversionLoss.Guided }, TextWriter.Null).Run());
        Assert.Contains("--loss distill", guided.Message);
        // The diffusers layout drops the learned null caption: unconditional distillation has nothing to condition on.
        var diffusers = Options(output, false) with { BaseCheckpoint = TestPaths.Reference("pixart_tiny_a.diffusers.safetensors"), BaseConfig = TestPaths.Reference("pixart_tiny_a.diffusers-config.json") };
        var noNull = Assert.Throws<ArgumentException>(() => new FlexiConverter(diffusers, TextWriter.Null).Run());
        Assert.Contains("no learned null caption", noNull.Message);
    }
}
