using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.TextEncoders;
using TorchSharp;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.TextEncoders;

/// <summary>The file layouts Hugging Face publishes T5 encoders in, and clear refusals of what does not fit.</summary>
public sealed class T5LoadingTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-t5").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Temp(string name) => Path.Combine(dir, name);

    /// <summary>Writes <paramref name="tensors"/> split into two shards plus a Hugging Face index; returns the index path.</summary>
    private string WriteShards(Dictionary<string, Tensor> tensors, string indexName, Action<string, Dictionary<string, Tensor>> write, string shardPattern)
    {
        var keys = tensors.Keys.Order(StringComparer.Ordinal).ToList();
        var halves = new[] { keys.Take(keys.Count / 2).ToList(), keys.Skip(keys.Count / 2).ToList() };
        var map = new Dictionary<string, string>();
        for (int i = 0; i < 2; i++)
        {
            string name = string.Format(shardPattern, i + 1);
            write(Temp(name), halves[i].ToDictionary(k => k, k => tensors[k]));
            foreach (string k in halves[i]) map[k] = name;
        }
        File.WriteAllText(Temp(indexName), JsonSerializer.Serialize(new { metadata = new { total_size = 0 }, weight_map = map }));
        File.Copy(T5Files.Config, Temp("config.json"), overwrite: true);
        return Temp(indexName);
    }

    [Fact]
    public void Sharded_safetensors_with_their_index_load_to_the_same_output()
    {
        string index = WriteShards(T5Files.EditedWeights(), "model.safetensors.index.json", (p, t) => SafetensorsFile.Write(p, t), "model-0000{0}-of-00002.safetensors");
        Assert.Equal(2, T5Checkpoint.WeightFiles(dir).Count);
        using (var fromFolder = T5Checkpoint.Load(dir)) T5Files.AssertMatchesReference(fromFolder);
        using var fromIndex = T5Checkpoint.Load(index, T5Files.Config);
        T5Files.AssertMatchesReference(fromIndex);
    }

    [Fact]
    public void Pytorch_model_bin_loads_to_the_same_output_whole_or_sharded()
    {
        var tensors = T5Files.EditedWeights();
        PyTorchPickler.PickleStateDict(Temp("pytorch_model.bin"), tensors);
        File.Copy(T5Files.Config, Temp("config.json"));
        using (var whole = T5Checkpoint.Load(dir)) T5Files.AssertMatchesReference(whole);

        File.Delete(Temp("pytorch_model.bin"));
        WriteShards(tensors, "pytorch_model.bin.index.json", (p, t) => PyTorchPickler.PickleStateDict(p, t), "pytorch_model-0000{0}-of-00002.bin");
        using var sharded = T5Checkpoint.Load(dir);
        T5Files.AssertMatchesReference(sharded);
    }

    [Fact]
    public void A_whole_seq2seq_checkpoint_loads_its_encoder_and_skips_the_decoder()
    {
        string path = Temp("t5.safetensors");
        SafetensorsFile.Write(path, T5Files.EditedWeights(t =>
        {
            t["decoder.block.0.layer.1.EncDecAttention.q.weight"] = torch.zeros(32, 32);
            t["decoder.final_layer_norm.weight"] = torch.ones(32);
            t["lm_head.weight"] = torch.zeros(128, 32);
        }));
        using var model = T5Checkpoint.Load(path, T5Files.Config);
        T5Files.AssertMatchesReference(model);
    }

    [Fact]
    public void The_tied_embedding_alone_is_enough()
    {
        string path = Temp("tied.safetensors");
        SafetensorsFile.Write(path, T5Files.EditedWeights(t => Assert.True(t.Remove("shared.weight"))));
        using var model = T5Checkpoint.Load(path, T5Files.Config);
        T5Files.AssertMatchesReference(model);
    }

    [Fact]
    public void A_config_with_more_layers_than_the_weights_names_the_missing_tensor()
    {
        string config = Temp("deeper.json");
        File.WriteAllText(config, File.ReadAllText(T5Files.Config).Replace("\"num_layers\": 2", "\"num_layers\": 3"));
        var e = Assert.Throws<InvalidDataException>(() => T5Checkpoint.Load(T5Files.Weights, config));
        Assert.Contains("missing tensor 'encoder.block.2.layer.0.SelfAttention.k.weight' (shape [32, 32])", e.Message);
        Assert.Contains("num_layers 3", e.Message);
    }

    [Fact]
    public void A_config_with_fewer_layers_names_the_tensor_it_has_no_place_for()
    {
        string config = Temp("shallower.json");
        File.WriteAllText(config, File.ReadAllText(T5Files.Config).Replace("\"num_layers\": 2", "\"num_layers\": 1"));
        var e = Assert.Throws<InvalidDataException>(() => T5Checkpoint.Load(T5Files.Weights, config));
        Assert.Contains("'encoder.block.1.", e.Message);
        Assert.Contains("does not have", e.Message);
    }

    [Theory]
    [InlineData("\"d_ff\": 48", "\"d_ff\": 64", "encoder.block.0.layer.1.DenseReluDense.wi_0.weight", "[48, 32]", "[64, 32]")]
    [InlineData("\"vocab_size\": 128", "\"vocab_size\": 256", "encoder.embed_tokens.weight", "[128, 32]", "[256, 32]")]
    [InlineData("\"num_heads\": 4", "\"num_heads\": 2", "encoder.block.0.layer.0.SelfAttention.k.weight", "[32, 32]", "[16, 32]")]
    public void A_config_whose_shapes_differ_names_the_key_and_both_shapes(string from, string to, string key, string fileShape, string configShape)
    {
        string config = Temp("wrong.json");
        File.WriteAllText(config, File.ReadAllText(T5Files.Config).Replace(from, to));
        var e = Assert.Throws<InvalidDataException>(() => T5Checkpoint.Load(T5Files.Weights, config));
        Assert.Contains($"'{key}' has shape {fileShape}", e.Message);
        Assert.Contains($"expects {configShape}", e.Message);
    }

    [Fact]
    public void A_relative_attention_bias_in_a_later_block_is_refused_by_name()
    {
        string path = Temp("bias.safetensors");
        SafetensorsFile.Write(path, T5Files.EditedWeights(t => t["encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight"] = torch.zeros(32, 4)));
        var e = Assert.Throws<InvalidDataException>(() => T5Checkpoint.Load(path, T5Files.Config));
        Assert.Contains("'encoder.block.1.layer.0.SelfAttention.relative_attention_bias.weight'", e.Message);
    }

    [Fact]
    public void A_missing_shard_is_named()
    {
        string index = WriteShards(T5Files.EditedWeights(), "model.safetensors.index.json", (p, t) => SafetensorsFile.Write(p, t), "model-0000{0}-of-00002.safetensors");
        File.Delete(Temp("model-00002-of-00002.safetensors"));
        var e = Assert.Throws<FileNotFoundException>(() => T5Checkpoint.Load(index, T5Files.Config));
        Assert.Contains("'model-00002-of-00002.safetensors'", e.Message);
    }

    [Fact]
    public void A_folder_without_weights_says_which_files_it_looked_for()
    {
        var e = Assert.Throws<FileNotFoundException>(() => T5Checkpoint.Load(dir, T5Files.Config));
        Assert.Contains("model.safetensors.index.json", e.Message);
        Assert.Contains("pytorch_model.bin", e.Message);
    }

    [Theory]
    [InlineData("\"feed_forward_proj\": \"gated-gelu\"", "\"feed_forward_proj\": \"relu\"", "feed_forward_proj 'relu' is not supported")]
    [InlineData("\"d_model\": 32,", "", "has no 'd_model'")]
    [InlineData("\"relative_attention_num_buckets\": 32", "\"relative_attention_num_buckets\": 7", "relative_attention_num_buckets must be even")]
    [InlineData("\"d_kv\": 8", "\"d_kv\": \"8\"", "'d_kv' must be an integer")]
    public void A_bad_config_is_refused_naming_the_field(string from, string to, string message)
    {
        string config = Temp("bad.json");
        File.WriteAllText(config, File.ReadAllText(T5Files.Config).Replace(from, to));
        var e = Assert.Throws<InvalidDataException>(() => T5Config.Load(config));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Loading_is_refused_before_allocation_when_memory_is_short()
    {
        var e = Assert.Throws<InsufficientMemoryException>(() =>
            T5Checkpoint.Load(T5Files.Weights, T5Files.Config, new T5EncoderOptions { AvailableMemoryBytes = 100_000_000 }));
        Assert.Contains("T5 encoder (d_model 32, 2 layers) needs about 270 MB to load in float32 but only 100 MB is available", e.Message);
        Assert.Contains("With the weights in bfloat16 (T5EncoderOptions.BFloat16, --bf16) it needs about", e.Message);
    }

    [Fact]
    public void The_xxl_estimate_is_19_GB_in_float32_and_half_that_in_bfloat16()
    {
        var float32 = T5Checkpoint.Estimate(T5Config.T5V11Xxl);
        var bfloat16 = T5Checkpoint.Estimate(T5Config.T5V11Xxl, new T5EncoderOptions { BFloat16 = true });
        Assert.Equal("t5-v1_1-xxl encoder", float32.ModelName);
        Assert.Equal(4 * 4_762_310_656L, float32.ModelBytes);
        Assert.Equal(2 * 4_762_310_656L, bfloat16.ModelBytes);
        Assert.Equal("bfloat16", bfloat16.Precision);
        var e = Assert.Throws<InsufficientMemoryException>(() => float32.EnsureFits(16_000_000_000));
        Assert.Contains("t5-v1_1-xxl encoder needs about 20.", e.Message);
        bfloat16.EnsureFits(16_000_000_000);
    }
}
