using FlexiDiT.Checkpoints;
using FlexiDiT.Vae;
using FlexiDiT.Verification;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Vae;

/// <summary>The decoder reproduces the original ldm code's output from every published naming of the same weights.</summary>
public sealed class VaeReferenceTests
{
    [Theory]
    [InlineData("ldm")]
    [InlineData("diffusers")]
    [InlineData("diffusers-old")]
    public void Every_naming_matches_the_reference_vectors(string naming)
    {
        using var decoder = VaeCheckpoint.Load(VaeFiles.Weights(naming), VaeFiles.Config);
        var results = VaeReferenceCheck.Run(decoder, VaeFiles.Vectors);
        var decode = Assert.Single(results);
        Assert.Equal("decode", decode.Group);
        Assert.True(decode.RelativeError < 1e-4, $"{naming}: relative error {decode.RelativeError:E2}");
    }

    [Theory]
    [InlineData("ldm")]
    [InlineData("diffusers")]
    [InlineData("diffusers-old")]
    public void Without_a_config_the_weights_imply_the_same_decoder(string naming)
    {
        var declared = VaeConfig.Load(VaeFiles.Config);
        using var decoder = VaeCheckpoint.Load(VaeFiles.Weights(naming), configPath: null);
        Assert.Equal(declared, decoder.Config);
        Assert.True(VaeReferenceCheck.Run(decoder, VaeFiles.Vectors).All(r => r.Passed));
    }

    [Fact]
    public void The_reference_files_carry_encoder_and_quant_conv_tensors_that_loading_skips()
    {
        var names = SafetensorsFile.ReadHeader(VaeFiles.Weights("ldm")).Entries.Select(e => e.Name).ToList();
        Assert.Contains("encoder.conv_in.weight", names);
        Assert.Contains("quant_conv.weight", names);
        using var decoder = VaeCheckpoint.Load(VaeFiles.Weights("ldm"), VaeFiles.Config);
        Assert.DoesNotContain(decoder.state_dict().Keys, k => k.StartsWith("encoder.", StringComparison.Ordinal) || k.StartsWith("quant_conv.", StringComparison.Ordinal));
    }

    [Fact]
    public void Ldm_numbers_up_levels_from_the_narrowest_and_the_loader_turns_them_round()
    {
        // In the reference config the levels differ in width (32, 32, 64, 64): a wrong order cannot load.
        var shapes = SafetensorsFile.ReadHeader(VaeFiles.Weights("ldm")).Entries.ToDictionary(e => e.Name, e => e.Shape);
        Assert.Equal(new long[] { 32L, 32, 3, 3 }, shapes["decoder.up.0.block.0.conv1.weight"]);
        Assert.Equal(new long[] { 64L, 64, 3, 3 }, shapes["decoder.up.3.block.0.conv1.weight"]);
        Assert.Equal("decoder.up.3.block.0.conv1.weight", VaeKeyNames.ToFileKey("decoder.up_blocks.0.resnets.0.conv1.weight", VaeKeyNaming.Ldm, levels: 4));
        Assert.Equal("decoder.up.1.block.0.nin_shortcut.bias", VaeKeyNames.ToFileKey("decoder.up_blocks.2.resnets.0.conv_shortcut.bias", VaeKeyNaming.Ldm, levels: 4));
        Assert.Equal("decoder.up.1.upsample.conv.weight", VaeKeyNames.ToFileKey("decoder.up_blocks.2.upsamplers.0.conv.weight", VaeKeyNaming.Ldm, levels: 4));
        Assert.Equal("decoder.mid.attn_1.proj_out.weight", VaeKeyNames.ToFileKey("decoder.mid_block.attentions.0.to_out.0.weight", VaeKeyNaming.Ldm, levels: 4));
        Assert.Equal("decoder.mid.block_2.norm1.bias", VaeKeyNames.ToFileKey("decoder.mid_block.resnets.1.norm1.bias", VaeKeyNaming.Ldm, levels: 4));
        Assert.Equal("decoder.norm_out.weight", VaeKeyNames.ToFileKey("decoder.conv_norm_out.weight", VaeKeyNaming.Ldm, levels: 4));
        Assert.Equal("decoder.mid_block.attentions.0.proj_attn.bias", VaeKeyNames.ToFileKey("decoder.mid_block.attentions.0.to_out.0.bias", VaeKeyNaming.DiffusersLegacyAttention, levels: 4));
        Assert.Equal("decoder.mid_block.attentions.0.group_norm.weight", VaeKeyNames.ToFileKey("decoder.mid_block.attentions.0.group_norm.weight", VaeKeyNaming.DiffusersLegacyAttention, levels: 4));
    }

    [Fact]
    public void Another_configuration_round_trips_through_both_namings_with_ldm_level_widths()
    {
        // Three levels of unequal width, 8 groups, 1 resnet per encoder level (2 per decoder level), 3 latent channels.
        var config = new VaeConfig { BlockOutChannels = [16, 32, 48], LayersPerBlock = 1, LatentChannels = 3, OutChannels = 2, NormNumGroups = 8 };
        torch.manual_seed(7);
        using var original = new VaeDecoder(config);
        original.eval();
        var ldm = VaeFiles.Export(original, VaeKeyNaming.Ldm);
        // ldm's Decoder: up[i] maps ch*ch_mult[i+1] (or the mid width, at the top) to ch*ch_mult[i]; up[0] has no upsample.
        Assert.Equal(new long[] { 16L, 32, 3, 3 }, ldm["decoder.up.0.block.0.conv1.weight"].shape);
        Assert.Equal(new long[] { 32L, 48, 3, 3 }, ldm["decoder.up.1.block.0.conv1.weight"].shape);
        Assert.Equal(new long[] { 48L, 48, 3, 3 }, ldm["decoder.up.2.block.0.conv1.weight"].shape);
        Assert.Equal(new long[] { 16L, 32, 1, 1 }, ldm["decoder.up.0.block.0.nin_shortcut.weight"].shape);
        Assert.False(ldm.ContainsKey("decoder.up.0.upsample.conv.weight"));
        Assert.True(ldm.ContainsKey("decoder.up.2.upsample.conv.weight"));
        Assert.Equal(new long[] { 48L, 48, 1, 1 }, ldm["decoder.mid.attn_1.q.weight"].shape);
        Assert.False(ldm.ContainsKey("decoder.up.0.block.2.conv1.weight"));

        var dir = Directory.CreateTempSubdirectory("flexidit-vae").FullName;
        try
        {
            string ldmPath = Path.Combine(dir, "ldm.safetensors"), diffusersPath = Path.Combine(dir, "diffusers.safetensors");
            SafetensorsFile.Write(ldmPath, ldm);
            SafetensorsFile.Write(diffusersPath, VaeFiles.Export(original, VaeKeyNaming.Diffusers));
            using var z = torch.randn(2, 3, 4, 4);
            using var _ = torch.inference_mode();
            using var expected = original.Forward(z);
            Assert.Equal(new long[] { 2L, 2, 16, 16 }, expected.shape);
            foreach (string path in new[] { ldmPath, diffusersPath })
            {
                using var loaded = VaeCheckpoint.Load(path, config);
                using var actual = loaded.Forward(z);
                Assert.True(actual.allclose(expected, rtol: 0, atol: 1e-6), $"{path}: max diff {(actual - expected).abs().max().item<float>()}, max {expected.abs().max().item<float>()}");
                var shapes = SafetensorsFile.ReadHeader(path).Entries.ToDictionary(e => e.Name, e => e.Shape);
                Assert.Equal(config, VaeCheckpoint.InferConfig(shapes, path, normNumGroups: 8));
            }
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Optional_parts_follow_the_config_and_are_recognised_in_the_weights()
    {
        var config = VaeConfig.Parse("""{ "block_out_channels": [32, 32], "layers_per_block": 0, "latent_channels": 4, "mid_block_add_attention": false, "use_post_quant_conv": false, "scaling_factor": 0.13025 }""");
        Assert.False(config.MidBlockAttention);
        Assert.False(config.UsePostQuantConv);
        Assert.Equal(0.13025, config.ScalingFactor);
        torch.manual_seed(3);
        using var original = new VaeDecoder(config);
        var weights = VaeFiles.Export(original, VaeKeyNaming.Diffusers);
        Assert.DoesNotContain(weights.Keys, k => k.StartsWith("post_quant_conv", StringComparison.Ordinal) || k.Contains("attentions", StringComparison.Ordinal));
        var inferred = VaeCheckpoint.InferConfig(weights.ToDictionary(kv => kv.Key, kv => kv.Value.shape), "exported");
        Assert.Equal(config with { ScalingFactor = VaeConfig.StableDiffusionScalingFactor }, inferred);

        using var loaded = new VaeDecoder(config);
        VaeCheckpoint.LoadInto(loaded, weights, "exported");
        using var _ = torch.inference_mode();
        using var z = torch.randn(1, 4, 3, 5);
        using var expected = original.Forward(z);
        Assert.Equal(new long[] { 1, 3, 6, 10 }, expected.shape);
        Assert.True(loaded.Forward(z).allclose(expected, rtol: 0, atol: 1e-6));
        using var latents = new LatentDecoder(loaded);
        Assert.Equal(0.13025, latents.ScaleFactor);
    }

    [Fact]
    public void A_new_decoder_starts_its_norms_at_one_and_zero_as_PyTorch_does()
    {
        using var decoder = new VaeDecoder(new VaeConfig { BlockOutChannels = [32, 64], LayersPerBlock = 0 });
        var norms = decoder.state_dict().Where(kv => kv.Key.Contains("norm", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, norms.Count); // weight and bias of: two norms in each of 4 resnets, the attention's norm, norm_out
        foreach (var (key, tensor) in norms)
            Assert.True(tensor.eq(key.EndsWith(".weight", StringComparison.Ordinal) ? 1 : 0).all().item<bool>(), key);
    }

    [Fact]
    public void Latent_decoder_divides_by_the_scale_and_clamps_to_minus_one_one()
    {
        var vectors = SafetensorsFile.Read(VaeFiles.Vectors);
        using var decoder = new LatentDecoder(VaeCheckpoint.Load(VaeFiles.Weights("diffusers"), VaeFiles.Config), ownsVae: true);
        Assert.Equal(0.18215, decoder.ScaleFactor);
        using var images = decoder.Decode(vectors["decode.z"] * 0.18215, microBatch: 1);
        using var expected = vectors["decode.out"].clamp(-1, 1);
        Assert.True(VaeFiles.RelativeError(images, expected) < 1e-4);
        Assert.True(images.max().item<float>() <= 1f && images.min().item<float>() >= -1f);

        using var bytes = LatentDecoder.ToBytes(images);
        Assert.Equal(new long[] { 2L, 64, 64, 3 }, bytes.shape);
        Assert.Equal(ScalarType.Byte, bytes.dtype);

        using var custom = new LatentDecoder(decoder.Vae, scaleFactor: 0.5);
        using var customImages = custom.Decode(vectors["decode.z"] * 0.5);
        Assert.True(VaeFiles.RelativeError(customImages, expected) < 1e-4);
        Assert.Throws<ArgumentException>(() => decoder.Decode(torch.zeros(1, 3, 8, 8)));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LatentDecoder(decoder.Vae, scaleFactor: 0));
    }
}
