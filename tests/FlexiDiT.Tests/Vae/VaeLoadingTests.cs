using FlexiDiT.Checkpoints;
using FlexiDiT.Vae;
using FlexiDiT.Verification;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Vae;

/// <summary>What the loader accepts (prefixes, pickled files, configs) and how clearly it refuses the rest.</summary>
public sealed class VaeLoadingTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-vae").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Temp(string name) => Path.Combine(dir, name);

    private static void AssertMatchesVectors(VaeDecoder decoder) =>
        Assert.All(VaeReferenceCheck.Run(decoder, VaeFiles.Vectors), r => Assert.True(r.Passed, $"relative error {r.RelativeError:E2}"));

    [Theory]
    [InlineData("ldm", "decoder.up.1.block.0.nin_shortcut.weight")]
    [InlineData("diffusers", "decoder.up_blocks.2.resnets.0.conv_shortcut.weight")]
    [InlineData("diffusers-old", "decoder.mid_block.attentions.0.query.weight")]
    [InlineData("ldm", "post_quant_conv.bias")]
    public void A_missing_decoder_tensor_is_named_in_the_files_own_naming(string naming, string key)
    {
        string path = VaeFiles.Rewrite(VaeFiles.Weights(naming), Temp("missing.safetensors"), t => Assert.True(t.Remove(key)));
        var e = Assert.Throws<InvalidDataException>(() => VaeCheckpoint.Load(path, VaeFiles.Config));
        Assert.Contains($"'{key}'", e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Theory]
    [InlineData("ldm", "decoder.mid.attn_1.q.weight", new long[] { 64, 32, 1, 1 }, "[64, 64, 1, 1]")]
    [InlineData("diffusers", "decoder.up_blocks.2.resnets.0.conv1.weight", new long[] { 32, 32, 3, 3 }, "[32, 64, 3, 3]")]
    [InlineData("diffusers-old", "decoder.mid_block.attentions.0.value.bias", new long[] { 65 }, "[64]")]
    public void A_misshapen_decoder_tensor_is_named_with_both_shapes(string naming, string key, long[] wrongShape, string expectedShape)
    {
        string path = VaeFiles.Rewrite(VaeFiles.Weights(naming), Temp("misshapen.safetensors"), t => t[key] = torch.zeros(wrongShape));
        var e = Assert.Throws<InvalidDataException>(() => VaeCheckpoint.Load(path, VaeFiles.Config));
        Assert.Contains($"'{key}'", e.Message);
        Assert.Contains($"[{string.Join(", ", wrongShape)}]", e.Message);
        Assert.Contains(expectedShape, e.Message);
    }

    [Fact]
    public void Prefixed_keys_of_a_whole_checkpoint_load_and_the_other_parts_are_skipped()
    {
        string path = VaeFiles.Rewrite(VaeFiles.Weights("ldm"), Temp("sd.safetensors"), t =>
        {
            foreach (var key in t.Keys.ToList())
            {
                t["first_stage_model." + key] = t[key];
                t.Remove(key);
            }
            t["model.diffusion_model.input_blocks.0.0.weight"] = torch.zeros(8, 4, 3, 3);
            t["cond_stage_model.transformer.text_model.encoder.layers.0.mlp.fc1.weight"] = torch.zeros(4, 4);
        });
        using var decoder = VaeCheckpoint.Load(path, VaeFiles.Config);
        AssertMatchesVectors(decoder);
    }

    [Fact]
    public void A_pickled_state_dict_loads_like_a_safetensors_file()
    {
        var tensors = SafetensorsFile.Read(VaeFiles.Weights("ldm")).ToDictionary(kv => "first_stage_model." + kv.Key, kv => kv.Value);
        string path = Temp("vae.ckpt");
        PyTorchPickler.PickleStateDict(path, tensors);
        using var decoder = VaeCheckpoint.Load(path, VaeFiles.Config);
        AssertMatchesVectors(decoder);
    }

    [Fact]
    public void A_config_that_does_not_match_the_weights_is_refused()
    {
        string config = Temp("config.json");
        File.WriteAllText(config, """{ "block_out_channels": [32, 32, 64, 64], "layers_per_block": 1, "latent_channels": 4, "out_channels": 3, "norm_num_groups": 32 }""");
        var e = Assert.Throws<InvalidDataException>(() => VaeCheckpoint.Load(VaeFiles.Weights("ldm"), config));
        Assert.Contains("decoder.up.0.block.2.", e.Message);
        Assert.Contains("does not match", e.Message);

        File.WriteAllText(config, """{ "block_out_channels": [32, 64, 64, 64], "layers_per_block": 2 }""");
        e = Assert.Throws<InvalidDataException>(() => VaeCheckpoint.Load(VaeFiles.Weights("diffusers"), config));
        Assert.Contains("decoder.up_blocks.", e.Message);
    }

    [Fact]
    public void Files_in_no_known_naming_are_clear_errors()
    {
        var dit = Assert.Throws<InvalidDataException>(() => VaeCheckpoint.Load(TestPaths.Reference("dit_tiny_a.safetensors"), VaeFiles.Config));
        Assert.Contains("no VAE decoder weights", dit.Message);
        Assert.Contains("x_embedder.proj.weight", dit.Message);

        string odd = Temp("odd.safetensors");
        SafetensorsFile.Write(odd, new Dictionary<string, Tensor> { ["decoder.layers.0.weight"] = torch.zeros(2, 2), ["decoder.conv_in.weight"] = torch.zeros(2, 4, 3, 3) });
        var e = Assert.Throws<InvalidDataException>(() => VaeCheckpoint.Load(odd, VaeFiles.Config));
        Assert.Contains("not a VAE decoder state dict in any known naming", e.Message);
        Assert.Contains("decoder.layers.0.weight", e.Message);
    }

    [Fact]
    public void Configs_read_from_diffusers_ldm_and_combined_files_agree()
    {
        var combined = VaeConfig.Load(VaeFiles.Config);
        Assert.Equal(new[] { 32, 32, 64, 64 }, combined.BlockOutChannels);
        Assert.Equal(2, combined.LayersPerBlock);
        Assert.Equal(8, combined.UpscaleFactor);

        string diffusers = Temp("config.json");
        File.WriteAllText(diffusers, """
            { "_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [32, 32, 64, 64], "in_channels": 3,
              "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32, "out_channels": 3, "sample_size": 64,
              "scaling_factor": 0.18215, "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"] }
            """);
        Assert.Equal(combined, VaeConfig.Load(diffusers));

        string ldm = Temp("ddconfig.json");
        File.WriteAllText(ldm, """{ "double_z": true, "z_channels": 4, "resolution": 64, "in_channels": 3, "out_ch": 3, "ch": 32, "ch_mult": [1, 1, 2, 2], "num_res_blocks": 2, "attn_resolutions": [], "dropout": 0.0 }""");
        Assert.Equal(combined, VaeConfig.Load(ldm));

        File.WriteAllText(ldm, """{ "z_channels": 4, "ch": 32, "ch_mult": [1, 2], "num_res_blocks": 2, "attn_resolutions": [16] }""");
        Assert.Contains("attn_resolutions", Assert.Throws<InvalidDataException>(() => VaeConfig.Load(ldm)).Message);

        File.WriteAllText(ldm, """{ "ldm_ddconfig": { "z_channels": 4, "ch": 32, "ch_mult": [1, 2], "num_res_blocks": 2 }, "diffusers_config": { "block_out_channels": [32, 32] } }""");
        Assert.Contains("different decoders", Assert.Throws<InvalidDataException>(() => VaeConfig.Load(ldm)).Message);

        File.WriteAllText(diffusers, """{ "block_out_channels": [32, 48], "norm_num_groups": 32 }""");
        Assert.Contains("norm_num_groups", Assert.Throws<InvalidDataException>(() => VaeConfig.Load(diffusers)).Message);

        File.WriteAllText(diffusers, """{ "hidden_size": 96 }""");
        Assert.Contains("neither", Assert.Throws<InvalidDataException>(() => VaeConfig.Load(diffusers)).Message);
    }
}
