using System.Buffers.Binary;
using System.Text;
using FlexiDiT.Checkpoints;
using FlexiDiT.Platform;
using FlexiDiT.Tests.Vae;
using FlexiDiT.Vae;
using TorchSharp;
using TorchSharp.PyBridge;

namespace FlexiDiT.Tests.Checkpoints;

/// <summary>Memory estimates come from headers alone and refuse loads that cannot fit, with a clear message.</summary>
public sealed class MemoryEstimateTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-mem").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static long Float32Bytes(string safetensors) =>
        SafetensorsFile.ReadHeader(safetensors).Entries.Sum(e => e.Shape.Aggregate(4L, (a, d) => a * d));

    /// <summary>The shapes of an official DiT-XL/2 state dict (no tensor data), as its header lists them.</summary>
    private static Dictionary<string, long[]> DiTXL2Shapes()
    {
        const int d = 1152;
        var shapes = new Dictionary<string, long[]>
        {
            ["pos_embed"] = [1, 256, d], ["x_embedder.proj.weight"] = [d, 4, 2, 2], ["x_embedder.proj.bias"] = [d],
            ["t_embedder.mlp.0.weight"] = [d, 256], ["t_embedder.mlp.0.bias"] = [d], ["t_embedder.mlp.2.weight"] = [d, d], ["t_embedder.mlp.2.bias"] = [d],
            ["y_embedder.embedding_table.weight"] = [1001, d],
            ["final_layer.linear.weight"] = [32, d], ["final_layer.linear.bias"] = [32],
            ["final_layer.adaLN_modulation.1.weight"] = [2 * d, d], ["final_layer.adaLN_modulation.1.bias"] = [2 * d],
        };
        for (int i = 0; i < 28; i++)
        {
            shapes[$"blocks.{i}.attn.qkv.weight"] = [3 * d, d]; shapes[$"blocks.{i}.attn.qkv.bias"] = [3 * d];
            shapes[$"blocks.{i}.attn.proj.weight"] = [d, d]; shapes[$"blocks.{i}.attn.proj.bias"] = [d];
            shapes[$"blocks.{i}.mlp.fc1.weight"] = [4 * d, d]; shapes[$"blocks.{i}.mlp.fc1.bias"] = [4 * d];
            shapes[$"blocks.{i}.mlp.fc2.weight"] = [d, 4 * d]; shapes[$"blocks.{i}.mlp.fc2.bias"] = [d];
            shapes[$"blocks.{i}.adaLN_modulation.1.weight"] = [6 * d, d]; shapes[$"blocks.{i}.adaLN_modulation.1.bias"] = [6 * d];
        }
        return shapes;
    }

    [Fact]
    public void A_flexidit_counts_the_weights_its_merged_adapters_add_at_load()
    {
        const int rank = 16;
        var shapes = DiTXL2Shapes();
        long plain = DiTMemoryEstimate.FromShapes(shapes).ModelBytes;
        long adapted = 0, adapters = 0;
        foreach (var layer in new[] { "attn.qkv", "attn.proj", "mlp.fc1", "mlp.fc2" })
        {
            for (int i = 0; i < 28; i++)
            {
                var w = shapes[$"blocks.{i}.{layer}.weight"];
                shapes[$"blocks.{i}.{layer}.lora.4.A"] = [rank, w[1]];
                shapes[$"blocks.{i}.{layer}.lora.4.B"] = [w[0], rank];
                adapted += w[0] * w[1] * 4;
                adapters += rank * (w[0] + w[1]) * 4;
            }
        }
        var estimate = DiTMemoryEstimate.FromShapes(shapes);
        // The file's weights (with the adapters) plus one merged copy of every adapted layer's weight.
        Assert.Equal(plain + adapters + adapted, estimate.ModelBytes);
    }

    [Fact]
    public void DiT_XL_2_is_recognised_and_counted_from_its_shapes()
    {
        var estimate = DiTMemoryEstimate.FromShapes(DiTXL2Shapes(), batchSize: 8);
        Assert.Equal("DiT-XL/2", estimate.ModelName);
        long parameters = DiTXL2Shapes().Values.Sum(s => s.Aggregate(1L, (a, d) => a * d));
        Assert.InRange(parameters, 675_000_000, 676_000_000); // the paper's 675M
        Assert.Equal(parameters * 4, estimate.ModelBytes);
        Assert.Equal(parameters * 4, estimate.FileTensorBytes);
        Assert.Equal(DiTMemoryEstimate.ActivationFloats(256, 1152) * 8 * 4, estimate.ActivationBytes);
        Assert.Equal(Math.Max(estimate.LoadBytes, estimate.RunBytes) + MemoryEstimate.RuntimeOverheadBytes, estimate.RequiredBytes);

        var e = Assert.Throws<InsufficientMemoryException>(() => estimate.EnsureFits(availableBytes: 1_200_000_000));
        Assert.StartsWith($"DiT-XL/2 needs about {MemoryEstimate.Format(estimate.RequiredBytes)} to load in float32 but only 1.2 GB is available;", e.Message);
        estimate.EnsureFits(availableBytes: estimate.RequiredBytes);
    }

    [Fact]
    public void Safetensors_and_torch_save_files_give_the_same_estimate_from_their_headers()
    {
        string safetensors = TestPaths.Reference("dit_tiny_a.safetensors");
        var fromHeader = DiTMemoryEstimate.ForCheckpoint(safetensors, batchSize: 2);
        Assert.Equal("DiT (hidden 96, depth 3, patch 2)", fromHeader.ModelName);
        Assert.Equal(Float32Bytes(safetensors), fromHeader.ModelBytes);

        // The .pt was written by PyTorch's own torch.save: its pickle is followed without loading any tensor.
        var fromPickle = DiTMemoryEstimate.ForCheckpoint(TestPaths.Reference("dit_tiny_a.pt"), batchSize: 2);
        Assert.Equal(fromHeader, fromPickle);
        var shapes = CheckpointShapes.Read(TestPaths.Reference("dit_tiny_a.pt"))!;
        var entries = SafetensorsFile.ReadHeader(safetensors).Entries;
        Assert.Equal(entries.Count, shapes.Count);
        Assert.All(entries, e => Assert.Equal(e.Shape, shapes[e.Name]));
    }

    [Fact]
    public void Half_precision_files_count_four_bytes_per_element()
    {
        // A hand-written header: 1000×1000 F16 (2 MB stored, 4 MB as float32) and an I64 step counter.
        string path = Path.Combine(dir, "half.safetensors");
        var header = Encoding.UTF8.GetBytes("""{"w":{"dtype":"F16","shape":[1000,1000],"data_offsets":[0,2000000]},"step":{"dtype":"I64","shape":[1],"data_offsets":[2000000,2000008]}}""");
        using (var file = File.Create(path))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, header.Length);
            file.Write(length);
            file.Write(header);
            file.SetLength(8 + header.Length + 2_000_008);
        }
        var estimate = MemoryEstimate.ForCheckpoint(path);
        Assert.Equal("half.safetensors", estimate.ModelName);
        Assert.Equal(4_000_004, estimate.ModelBytes);
        Assert.Equal(0, estimate.ActivationBytes);
        var e = Assert.Throws<InsufficientMemoryException>(() => MemoryEstimate.ForCheckpoint(path).EnsureFits(availableBytes: 1_000_000));
        Assert.Contains("half.safetensors needs about", e.Message);
        Assert.Contains("activations not estimated", e.Message);
    }

    [Fact]
    public void A_VAE_is_recognised_in_any_naming_and_its_activations_grow_with_the_batch()
    {
        var one = VaeMemoryEstimate.ForCheckpoint(VaeFiles.Weights("ldm"), batchSize: 1, latentSize: 8);
        var four = VaeMemoryEstimate.ForCheckpoint(VaeFiles.Weights("diffusers-old"), batchSize: 4, latentSize: 8);
        Assert.Equal("VAE decoder", one.ModelName);
        Assert.Equal(4 * one.ActivationBytes, four.ActivationBytes);
        Assert.True(one.ActivationBytes > 0);
        // Only decoder tensors are read from a safetensors file; the encoder's are not counted.
        long decoderBytes = SafetensorsFile.ReadHeader(VaeFiles.Weights("ldm")).Entries
            .Where(e => e.Name.StartsWith("decoder.", StringComparison.Ordinal) || e.Name.StartsWith("post_quant_conv.", StringComparison.Ordinal))
            .Sum(e => e.Shape.Aggregate(4L, (a, d) => a * d));
        Assert.Equal(decoderBytes, one.ModelBytes);
        Assert.Equal(decoderBytes, one.FileTensorBytes);
    }

    [Fact]
    public void A_pickled_whole_checkpoint_counts_every_tensor_it_holds()
    {
        var tensors = SafetensorsFile.Read(VaeFiles.Weights("ldm")).ToDictionary(kv => "first_stage_model." + kv.Key, kv => kv.Value);
        tensors["model.diffusion_model.out.2.weight"] = torch.zeros(4, 320, 3, 3);
        string path = Path.Combine(dir, "sd.ckpt");
        PyTorchPickler.PickleStateDict(path, tensors);
        var estimate = VaeMemoryEstimate.ForCheckpoint(path);
        Assert.Equal("VAE decoder", estimate.ModelName);
        Assert.Equal(tensors.Values.Sum(t => t.numel() * 4), estimate.FileTensorBytes);
        Assert.True(estimate.ModelBytes < estimate.FileTensorBytes);
    }

    [Fact]
    public void Available_memory_is_read_from_the_system()
    {
        long available = MachineMemory.AvailableBytes();
        Assert.True(available > 0);
        Assert.Equal("2.9 GB", MemoryEstimate.Format(2_900_000_000));
        Assert.Equal("350 MB", MemoryEstimate.Format(350_000_000));
    }
}
