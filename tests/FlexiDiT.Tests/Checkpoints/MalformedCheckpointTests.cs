using FlexiDiT.Checkpoints;
using FlexiDiT.Models;

namespace FlexiDiT.Tests.Checkpoints;

/// <summary>Bad checkpoints are clear errors that say what is wrong, never crashes.</summary>
public sealed class MalformedCheckpointTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-bad").FullName;
    private static string Ref(string name) => Path.Combine(TestPaths.ReferenceDirectory, name);

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Truncated(string source, double keep)
    {
        byte[] bytes = File.ReadAllBytes(Ref(source));
        string path = Path.Combine(dir, "truncated-" + source);
        File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
        return path;
    }

    [Theory]
    [InlineData("dit_tiny_a.safetensors", 0.5)]
    [InlineData("dit_tiny_a.safetensors", 0.0001)]
    [InlineData("dit_tiny_a.pt", 0.5)]
    [InlineData("dit_tiny_a.pt", 0.01)]
    public void Truncated_files_are_clear_errors(string source, double keep)
    {
        var e = Assert.Throws<InvalidDataException>(() => DiTCheckpoint.Load(Truncated(source, keep)));
        Assert.Contains("truncated-" + source, e.Message);
    }

    [Fact]
    public void A_header_claiming_a_huge_size_is_rejected_before_allocating()
    {
        string path = Path.Combine(dir, "huge.safetensors");
        byte[] bytes = new byte[64];
        BitConverter.GetBytes(long.MaxValue / 2).CopyTo(bytes, 0);
        File.WriteAllBytes(path, bytes);
        var e = Assert.Throws<InvalidDataException>(() => DiTCheckpoint.Load(path));
        Assert.Contains("header claims", e.Message);
    }

    [Fact]
    public void A_tensor_whose_bytes_do_not_match_its_shape_is_named()
    {
        string path = Path.Combine(dir, "shape.safetensors");
        string header = "{\"pos_embed\":{\"dtype\":\"F32\",\"shape\":[1000000,1000000],\"data_offsets\":[0,16]}}";
        using (var s = File.Create(path))
        {
            s.Write(BitConverter.GetBytes((long)header.Length));
            s.Write(System.Text.Encoding.ASCII.GetBytes(header));
            s.Write(new byte[16]);
        }
        var e = Assert.Throws<InvalidDataException>(() => DiTCheckpoint.Load(path));
        Assert.Contains("pos_embed", e.Message);
    }

    [Fact]
    public void A_missing_tensor_is_named()
    {
        var weights = StateDictReader.Read(Ref("dit_tiny_a.safetensors"));
        weights.Remove("blocks.1.mlp.fc2.bias");
        using var model = new DiT(DiTConfig.Load(Ref("dit_tiny_a.json")));
        var e = Assert.Throws<InvalidDataException>(() => DiTCheckpoint.LoadInto(model, weights, "test"));
        Assert.Contains("blocks.1.mlp.fc2.bias", e.Message);
    }

    [Fact]
    public void A_misshapen_tensor_is_named_with_both_shapes()
    {
        var weights = StateDictReader.Read(Ref("dit_tiny_a.safetensors"));
        weights["blocks.0.attn.proj.weight"] = TorchSharp.torch.zeros(96, 95);
        using var model = new DiT(DiTConfig.Load(Ref("dit_tiny_a.json")));
        var e = Assert.Throws<InvalidDataException>(() => DiTCheckpoint.LoadInto(model, weights, "test"));
        Assert.Contains("blocks.0.attn.proj.weight", e.Message);
        Assert.Contains("[96, 95]", e.Message);
        Assert.Contains("[96, 96]", e.Message);
    }

    [Fact]
    public void A_config_that_contradicts_the_weights_names_the_field()
    {
        string config = Path.Combine(dir, "wrong.json");
        File.WriteAllText(config, File.ReadAllText(Ref("dit_tiny_a.json")).Replace("\"depth\": 3", "\"depth\": 4"));
        var e = Assert.Throws<InvalidDataException>(() => DiTCheckpoint.Load(Ref("dit_tiny_a.safetensors"), config));
        Assert.Contains("'depth' is 4 in the config but the weights imply 3", e.Message);
    }

    [Theory]
    [InlineData("dit_tiny_a.safetensors")]
    [InlineData("dit_tiny_a.pt")]
    public void A_model_that_does_not_fit_is_refused_before_its_weights_are_read(string source)
    {
        var e = Assert.Throws<InsufficientMemoryException>(() => DiTCheckpoint.Load(Ref(source), availableMemoryBytes: 1_000_000));
        Assert.Contains("lower the batch size, or use a machine with more memory", e.Message);
        Assert.Contains("only 1 MB is available", e.Message);
    }

    [Fact]
    public void A_model_is_refused_by_the_estimate_its_caller_made_for_a_larger_batch()
    {
        string path = Ref("dit_tiny_a.safetensors");
        long enoughForOneImage = DiTMemoryEstimate.ForCheckpoint(path).RequiredBytes;
        var forTraining = DiTMemoryEstimate.ForCheckpoint(path, batchSize: 100_000);

        using (var model = DiTCheckpoint.Load(path, availableMemoryBytes: enoughForOneImage)) Assert.NotNull(model);
        var e = Assert.Throws<InsufficientMemoryException>(() => DiTCheckpoint.Load(path, forTraining, availableMemoryBytes: enoughForOneImage));
        Assert.Contains("activations for batch 100000", e.Message);
    }

    [Fact]
    public void A_file_that_is_not_a_checkpoint_is_a_clear_error()
    {
        string path = Path.Combine(dir, "notes.pt");
        File.WriteAllText(path, "these are not weights");
        var e = Assert.Throws<InvalidDataException>(() => DiTCheckpoint.Load(path));
        Assert.Contains("notes.pt", e.Message);
    }
}
