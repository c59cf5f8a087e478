using FlexiDiT.Checkpoints;
using FlexiDiT.Models;
using FlexiDiT.Verification;
using TorchSharp;

namespace FlexiDiT.Tests.Models;

/// <summary>The engine reproduces the official PixArt-α code's outputs from every weight layout (shared/reference vectors).</summary>
public class PixArtReferenceTests
{
    private static string R(string name) => TestPaths.Reference(name);
    private static double CfgScale => ReferenceCheck.CfgScaleOf(R("pixart_tiny_a.json"));

    [Theory]
    [InlineData("pixart_tiny_a.pth", "pixart_tiny_a.json")]
    [InlineData("pixart_tiny_a.safetensors", "pixart_tiny_a.json")]
    public void Every_reference_group_is_within_tolerance_from_the_official_files(string checkpoint, string config)
    {
        using var model = PixArtCheckpoint.Load(R(checkpoint), R(config));
        var results = ReferenceCheck.Run(model, R("pixart_tiny_a.vectors.safetensors"), CfgScale);

        string[] groups = ["forward", "forward.nomask", "cfg", "ddpm10", "ddim10", "dpms10", "dpms10.model_t"];
        Assert.All(groups, g => Assert.Contains(results, r => r.Group == g && r.NotRunnable is null));
        Assert.All(results.Where(r => r.NotRunnable is null), r => Assert.True(r.Passed, $"{r.Group}: relative error {r.RelativeError:E2} > {r.Tolerance:E0}"));
    }

    [Fact]
    public void A_model_frozen_for_inference_meets_the_official_vectors_on_the_fused_in_place_path()
    {
        using var model = PixArtCheckpoint.Load(R("pixart_tiny_a.pth"), R("pixart_tiny_a.json"));
        model.MergeAdapters(); // as a pack loads it: packed weights where the packed kernel is in use

        var results = ReferenceCheck.Run(model, R("pixart_tiny_a.vectors.safetensors"), CfgScale);

        Assert.All(results.Where(r => r.NotRunnable is null), r => Assert.True(r.Passed, $"{r.Group}: relative error {r.RelativeError:E2} > {r.Tolerance:E0}"));
        Assert.Contains(results, r => r.Group == "forward" && r.NotRunnable is null);
    }

    [Theory]
    [InlineData("pixart_tiny_a.diffusers-config.json")]
    [InlineData("pixart_tiny_a.json")]
    public void The_diffusers_file_runs_what_needs_no_null_caption_and_reports_the_rest(string config)
    {
        using var model = PixArtCheckpoint.Load(R("pixart_tiny_a.diffusers.safetensors"), R(config));
        var results = ReferenceCheck.Run(model, R("pixart_tiny_a.vectors.safetensors"), CfgScale);

        Assert.Null(model.NullCaption);
        Assert.All(new[] { "forward", "forward.nomask", "cfg", "ddim10" }, g => Assert.True(results.Single(r => r.Group == g).Passed, g));
        Assert.All(new[] { "ddpm10", "dpms10" }, g =>
        {
            var group = results.Single(r => r.Group == g);
            Assert.Contains("no y_embedding", group.NotRunnable);
            Assert.False(group.Failed);
        });
    }

    [Fact]
    public void Official_and_diffusers_layouts_give_identical_outputs()
    {
        using var official = PixArtCheckpoint.Load(R("pixart_tiny_a.pth"), R("pixart_tiny_a.json"));
        using var diffusers = PixArtCheckpoint.Load(R("pixart_tiny_a.diffusers.safetensors"), R("pixart_tiny_a.diffusers-config.json"));
        var v = SafetensorsFile.Read(R("pixart_tiny_a.vectors.safetensors"));
        using var _ = torch.inference_mode();
        var a = official.Forward(v["forward.x"], v["forward.t"], v["forward.y"], v["forward.mask"]);
        var b = diffusers.Forward(v["forward.x"], v["forward.t"], v["forward.y"], v["forward.mask"]);
        Assert.True(a.equal(b).all().item<bool>(), $"max difference {(a - b).abs().max().item<float>()}");
        static object Shape(PixArtConfig c) => (c.InputSize, c.PatchSize, c.InChannels, c.HiddenSize, c.Depth, c.NumHeads, c.MlpRatio, c.PredSigma, c.CaptionChannels, c.LeweiScale);
        Assert.Equal(Shape(official.Config), Shape(diffusers.Config));
    }

    [Fact]
    public void A_negative_prompt_stands_in_for_the_missing_null_caption()
    {
        // The diffusers file has no y_embedding; a pipeline passes the text encoder's encoding of "" as the negative
        // prompt. Given the official null caption that way, guided DDPM reproduces the official samples.
        using var model = PixArtCheckpoint.Load(R("pixart_tiny_a.diffusers.safetensors"), R("pixart_tiny_a.diffusers-config.json"));
        var v = SafetensorsFile.Read(R("pixart_tiny_a.vectors.safetensors"));
        var nullCaption = SafetensorsFile.Read(R("pixart_tiny_a.safetensors"), k => k == "y_embedder.y_embedding")["y_embedder.y_embedding"];
        var mask = v["ddpm10.mask"];
        var negative = new CaptionCondition(nullCaption.unsqueeze(0).expand(2, -1, -1).contiguous(), mask);
        using var captions = new CaptionCondition(v["ddpm10.y"].squeeze(1), mask, negative);
        var plan = FlexiDiT.Sampling.ComputePlan.Full("ddpm10", "10", 2, CfgScale) with { GuideFirstThreeChannelsOnly = true };

        var result = new FlexiDiT.Sampling.Sampler(model).Sample(plan, captions, new FlexiDiT.Sampling.ReplayedNoise(v["ddpm10.z"], v["ddpm10.noise"]));

        var reference = v["ddpm10.sample"];
        double error = (result.Samples - reference).abs().max().item<float>() / reference.abs().max().item<float>();
        Assert.True(error < ReferenceCheck.SamplingTolerance, $"relative error {error:E2}");
        // Both branches compute their captions' keys and values at the first of the 10 steps and keep them.
        Assert.Equal((2 * 10 * model.Config.Flops(2, 2)) - (2 * 9 * model.Config.ConditionFlops(2, 2)), result.FlopsSpent);
    }

    [Fact]
    public void Guidance_without_a_null_caption_or_negative_prompt_is_refused()
    {
        using var model = PixArtCheckpoint.Load(R("pixart_tiny_a.diffusers.safetensors"), R("pixart_tiny_a.diffusers-config.json"));
        using var captions = new CaptionCondition(torch.randn(1, 8, 32));
        var plan = FlexiDiT.Sampling.ComputePlan.Full("g", "10", 2, 4.5);
        var e = Assert.Throws<ArgumentException>(() => new FlexiDiT.Sampling.Sampler(model).Sample(plan, captions, new FlexiDiT.Sampling.SeededNoise(1)));
        Assert.Contains("no null caption and no negative prompt", e.Message);
    }

    [Fact]
    public void Padding_tokens_change_nothing()
    {
        using var model = PixArtCheckpoint.Load(R("pixart_tiny_a.safetensors"), R("pixart_tiny_a.json"));
        var v = SafetensorsFile.Read(R("pixart_tiny_a.vectors.safetensors"));
        using var _ = torch.inference_mode();
        var y = v["forward.y"];
        var mask = v["forward.mask"];
        var scrambled = torch.where(mask.unsqueeze(1).unsqueeze(-1).ne(0), y, torch.randn_like(y) * 100);
        var a = model.Forward(v["forward.x"], v["forward.t"], y, mask);
        var b = model.Forward(v["forward.x"], v["forward.t"], scrambled, mask);
        Assert.True(mask.eq(0).any().item<bool>(), "the test needs a caption with padding");
        Assert.True(torch.allclose(a, b, rtol: 0, atol: 1e-5), $"max difference {(a - b).abs().max().item<float>()}");
    }

    [Fact]
    public void The_recomputed_position_table_is_the_official_one()
    {
        using var model = PixArtCheckpoint.Load(R("pixart_tiny_a.safetensors"), R("pixart_tiny_a.json"));
        var file = SafetensorsFile.Read(R("pixart_tiny_a.safetensors"), k => k == "pos_embed")["pos_embed"];
        Assert.True(torch.allclose(model.PositionTable(), file, rtol: 0, atol: 1e-6));
    }

    [Fact]
    public void Config_is_inferred_from_the_official_weights_and_heads_are_asked_for()
    {
        var weights = StateDictReader.Read(R("pixart_tiny_a.pth"));
        var c = PixArtCheckpoint.Reconcile(weights, new PixArtConfig { NumHeads = 6, InputSize = 16, PatchSize = 2, HiddenSize = 96, Depth = 3, CaptionChannels = 32, ModelMaxLength = 8 }, "pth");
        Assert.Equal((16, 2, 4, 96, 3, 32, 8, true, 4.0), (c.InputSize, c.PatchSize, c.InChannels, c.HiddenSize, c.Depth, c.CaptionChannels, c.ModelMaxLength, c.PredSigma, c.MlpRatio));
        var e = Assert.Throws<InvalidDataException>(() => PixArtCheckpoint.Load(R("pixart_tiny_a.pth")));
        Assert.Contains("num_heads cannot be read from the weights of width 96", e.Message);
    }
}
