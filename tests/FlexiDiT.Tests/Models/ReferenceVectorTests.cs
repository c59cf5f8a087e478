using FlexiDiT.Checkpoints;
using FlexiDiT.Verification;

namespace FlexiDiT.Tests.Models;

/// <summary>The engine reproduces the official DiT code's outputs (shared/reference vectors).</summary>
public class ReferenceVectorTests
{
    public static TheoryData<string> Checkpoints => new() { "dit_tiny_a.pt", "dit_tiny_a.safetensors" };

    [Theory]
    [MemberData(nameof(Checkpoints))]
    public void Every_reference_group_is_within_tolerance(string checkpoint)
    {
        string dir = TestPaths.ReferenceDirectory;
        using var model = DiTCheckpoint.Load(Path.Combine(dir, checkpoint), Path.Combine(dir, "dit_tiny_a.json"));
        var results = ReferenceCheck.Run(model, Path.Combine(dir, "dit_tiny_a.vectors.safetensors"), ReferenceCheck.CfgScaleOf(Path.Combine(dir, "dit_tiny_a.json")));

        string[] groups = ["forward", "cfg", "ddpm10", "ddpm10clip", "ddim10", "ddim10clip"];
        Assert.All(groups, g => Assert.Contains(results, r => r.Group == g));
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Group}: relative error {r.RelativeError:E2} > {r.Tolerance:E0}"));
    }

    [Fact]
    public void Config_is_inferred_from_the_weights_when_no_config_is_given()
    {
        using var model = DiTCheckpoint.Load(Path.Combine(TestPaths.ReferenceDirectory, "dit_tiny_a.safetensors"));
        var c = model.Config;
        Assert.Equal((16, 2, 4, 96, 3, 10, true), (c.InputSize, c.PatchSize, c.InChannels, c.HiddenSize, c.Depth, c.NumClasses, c.LearnSigma));
    }

    [Fact]
    public void Respacing_is_recovered_from_a_timestep_map()
    {
        Assert.Equal("10", ReferenceCheck.RespacingOf(FlexiDiT.Diffusion.Respacing.Timesteps(1000, "10"), "g"));
        Assert.Equal("ddim10", ReferenceCheck.RespacingOf(FlexiDiT.Diffusion.Respacing.Timesteps(1000, "ddim10"), "g"));
    }
}
