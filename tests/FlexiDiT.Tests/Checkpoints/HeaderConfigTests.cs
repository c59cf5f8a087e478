using System.Collections;
using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.Models;
using TorchSharp.PyBridge;

namespace FlexiDiT.Tests.Checkpoints;

/// <summary>
/// A checkpoint's config read from its header alone (what a pack's plan table is computed from when the pack ships no
/// config) is the config loading its weights gives.
/// </summary>
public sealed class HeaderConfigTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-header-config").FullName;
    private static string Ref(string name) => Path.Combine(TestPaths.ReferenceDirectory, name);
    private static string Json<T>(T config) => JsonSerializer.Serialize(config, DiTConfig.JsonOptions);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Theory]
    [InlineData("dit_tiny_a.safetensors")]
    [InlineData("dit_tiny_a.pt")]
    public void A_DiT_config_read_from_the_header_is_the_one_loading_gives(string file)
    {
        using var model = DiTCheckpoint.Load(Ref(file));

        Assert.Equal(Json(model.Config), Json(DiTCheckpoint.ReadConfig(Ref(file))));
    }

    [Fact]
    public void A_DiT_training_checkpoint_is_read_under_its_wrapper_as_loading_reads_it()
    {
        var weights = StateDictReader.Read(Ref("dit_tiny_a.safetensors"));
        string path = Path.Combine(dir, "0100000.pt");
        PyTorchPickler.PickleStateDict(path, new Hashtable { ["model"] = new Hashtable(weights), ["ema"] = new Hashtable(weights) });
        using var model = DiTCheckpoint.Load(path);

        Assert.Equal(Json(model.Config), Json(DiTCheckpoint.ReadConfig(path)));
    }

    [Fact]
    public void A_file_that_is_not_a_DiT_is_refused_from_its_header_as_loading_refuses_it()
    {
        var e = Assert.Throws<InvalidDataException>(() => DiTCheckpoint.ReadConfig(Ref("vae_tiny_a.diffusers.safetensors")));

        Assert.Contains("has no tensor 'x_embedder.proj.weight', which every DiT has", e.Message);
    }

    [Theory]
    [InlineData("pixart_tiny_a.safetensors")]
    [InlineData("pixart_tiny_a.pth")]
    public void A_PixArt_config_from_the_tensor_shapes_is_the_one_from_the_weights(string file)
    {
        var declared = new PixArtConfig { NumHeads = 6, InputSize = 16, PatchSize = 2, HiddenSize = 96, Depth = 3, CaptionChannels = 32, ModelMaxLength = 8 };
        var weights = StateDictReader.Read(Ref(file));

        var fromWeights = PixArtCheckpoint.Reconcile(weights, declared, file);
        var fromShapes = PixArtCheckpoint.Reconcile(CheckpointShapes.ReadStateDict(Ref(file))!, declared, file);

        Assert.Equal(Json(fromWeights), Json(fromShapes));
        foreach (var t in weights.Values) t.Dispose();
    }

    [Fact]
    public void An_official_PixArt_file_whose_heads_its_shapes_cannot_tell_is_refused_from_the_header_as_loading_refuses_it()
    {
        var e = Assert.Throws<InvalidDataException>(() => PixArtCheckpoint.ReadConfig(Ref("pixart_tiny_a.pth")));

        Assert.Contains("num_heads cannot be read from the weights of width 96", e.Message);
    }

    [Fact]
    public void A_PixArt_checkpoint_with_its_config_embedded_is_read_from_the_header()
    {
        using var loaded = PixArtCheckpoint.Load(Ref("pixart_tiny_a.safetensors"), Ref("pixart_tiny_a.json"));
        string path = Path.Combine(dir, "pixart.safetensors");
        PixArtCheckpoint.Save(loaded, path);

        Assert.Equal(Json(loaded.Config), Json(PixArtCheckpoint.ReadConfig(path)));
    }

    [Fact]
    public void A_diffusers_PixArt_file_is_left_to_loading_which_joins_its_q_k_and_v()
    {
        Assert.Null(PixArtCheckpoint.ReadConfig(Ref("pixart_tiny_a.diffusers.safetensors")));
    }
}
