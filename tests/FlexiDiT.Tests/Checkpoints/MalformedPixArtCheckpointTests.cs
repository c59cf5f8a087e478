using FlexiDiT.Checkpoints;
using FlexiDiT.Models;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Checkpoints;

/// <summary>Bad PixArt-α files and configs fail with an error that names the key and the shapes.</summary>
public sealed class MalformedPixArtCheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("pixart-bad").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Variant(string name, Action<Dictionary<string, Tensor>> edit, string source = "pixart_tiny_a.safetensors")
    {
        var weights = StateDictReader.Read(TestPaths.Reference(source));
        edit(weights);
        string path = Path.Combine(dir, name);
        SafetensorsFile.Write(path, weights);
        return path;
    }

    [Fact]
    public void A_misshapen_tensor_is_named_with_both_shapes()
    {
        string path = Variant("bad.safetensors", w => w["blocks.1.cross_attn.kv_linear.weight"] = zeros(100, 96));
        var e = Assert.Throws<InvalidDataException>(() => PixArtCheckpoint.Load(path, TestPaths.Reference("pixart_tiny_a.json")));
        Assert.Contains("'blocks.1.cross_attn.kv_linear.weight' has shape [100, 96]", e.Message);
        Assert.Contains("[192, 96]", e.Message);
    }

    [Fact]
    public void A_missing_tensor_is_named()
    {
        string path = Variant("missing.safetensors", w => w.Remove("blocks.2.scale_shift_table"));
        var e = Assert.Throws<InvalidDataException>(() => PixArtCheckpoint.Load(path, TestPaths.Reference("pixart_tiny_a.json")));
        Assert.Contains("missing tensor 'blocks.2.scale_shift_table'", e.Message);
    }

    [Fact]
    public void A_config_that_does_not_match_the_weights_names_the_field()
    {
        string config = Path.Combine(dir, "c.json");
        new PixArtConfig { InputSize = 16, PatchSize = 2, HiddenSize = 96, Depth = 3, NumHeads = 6, CaptionChannels = 64, ModelMaxLength = 8 }.Save(config);
        var e = Assert.Throws<InvalidDataException>(() => PixArtCheckpoint.Load(TestPaths.Reference("pixart_tiny_a.safetensors"), config));
        Assert.Contains("'caption_channels' is 64 in the config but the weights imply 32", e.Message);
    }

    [Fact]
    public void A_diffusers_file_with_a_missing_split_is_named()
    {
        string path = Variant("d.safetensors", w => w.Remove("transformer_blocks.0.attn2.to_v.weight"), "pixart_tiny_a.diffusers.safetensors");
        var e = Assert.Throws<InvalidDataException>(() => PixArtCheckpoint.Load(path, TestPaths.Reference("pixart_tiny_a.diffusers-config.json")));
        Assert.Contains("'transformer_blocks.0.attn2.to_v.weight'", e.Message);
    }

    [Fact]
    public void A_dit_checkpoint_is_not_taken_for_a_pixart()
    {
        var e = Assert.Throws<InvalidDataException>(() => PixArtCheckpoint.Load(TestPaths.Reference("dit_tiny_a.safetensors")));
        Assert.Contains("is this a PixArt checkpoint", e.Message);
    }
}
