using FlexiDiT.Checkpoints;
using FlexiDiT.Flops;
using FlexiDiT.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Models;

/// <summary>FlexiDiT for PixArt-α: a weak patch size is added without touching what the original patch size computes.</summary>
public sealed class PixArtFlexifyTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("pixart-flexi").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static (Tensor X, Tensor T, Tensor Y, Tensor Mask) Inputs()
    {
        var v = SafetensorsFile.Read(TestPaths.Reference("pixart_tiny_a.vectors.safetensors"));
        return (v["forward.x"], v["forward.t"], v["forward.y"], v["forward.mask"]);
    }

    [Fact]
    public void The_converted_model_is_the_original_at_the_original_patch_size_bit_for_bit()
    {
        using var model = PixArtCheckpoint.Load(TestPaths.Reference("pixart_tiny_a.safetensors"), TestPaths.Reference("pixart_tiny_a.json"));
        var (x, t, y, mask) = Inputs();
        using var _ = torch.no_grad();
        var before = model.Forward(x, t, y, mask);
        var originals = model.named_parameters().Select(p => p.name).ToHashSet();

        Flexify.AddWeakPatchSize(model, 4, loraRank: 4);
        var after = model.Forward(x, t, y, mask);
        var weak = model.Forward(x, t, y, mask, patchSize: 4);

        Assert.True(before.equal(after).all().item<bool>());
        Assert.Equal([2, 8, 16, 16], weak.shape);
        Assert.True(weak.isfinite().all().item<bool>());
        Assert.Equal([2, 4], model.Config.AllPatchSizes);
        // Only the new parts train; LoRA covers self-attention, cross-attention and the MLP.
        var trainable = model.named_parameters().Where(p => model.WeakParameters().Any(w => ReferenceEquals(w, p.parameter))).Select(p => p.name).ToList();
        Assert.DoesNotContain(trainable, originals.Contains);
        Assert.All(new[] { "attn.qkv", "attn.proj", "cross_attn.q_linear", "cross_attn.kv_linear", "cross_attn.proj", "mlp.fc1", "mlp.fc2" },
            layer => Assert.Contains($"blocks.0.{layer}.lora.4.A", trainable));
    }

    [Fact]
    public void The_weak_embedding_of_a_smooth_latent_matches_the_original()
    {
        // PI-resize: a latent that is the bilinear upsample of a p'/p-coarser one embeds to the same tokens as the
        // original embedding of the coarse patches, so the first token features agree.
        using var model = PixArtCheckpoint.Load(TestPaths.Reference("pixart_tiny_a.safetensors"), TestPaths.Reference("pixart_tiny_a.json"));
        Flexify.AddWeakPatchSize(model, 4, loraRank: 0);
        var b = Flexify.BilinearResizeMatrix(2, 4);
        var w = model.WeakParts(4).Embedder.Proj.weight!;
        var patch = torch.randn(2, 2);
        var up = torch.matmul(b, patch.reshape(4)).reshape(4, 4);
        using var _ = torch.no_grad();
        var weakOut = (w[.., 0] * up).sum([1, 2]);
        var origW = SafetensorsFile.Read(TestPaths.Reference("pixart_tiny_a.safetensors"), k => k == "x_embedder.proj.weight")["x_embedder.proj.weight"];
        var origOut = (origW[.., 0] * patch).sum([1, 2]);
        Assert.True(torch.allclose(weakOut, origOut, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void A_converted_model_saves_and_loads_with_its_weak_size()
    {
        using var model = PixArtCheckpoint.Load(TestPaths.Reference("pixart_tiny_a.pth"), TestPaths.Reference("pixart_tiny_a.json"));
        Flexify.AddWeakPatchSize(model, 4, loraRank: 2);
        string path = Path.Combine(dir, "flexi.safetensors");
        PixArtCheckpoint.Save(model, path);
        using var loaded = PixArtCheckpoint.Load(path);
        var (x, t, y, mask) = Inputs();
        using var _ = torch.no_grad();
        Assert.Equal([2, 4], loaded.Config.AllPatchSizes);
        Assert.True(model.Forward(x, t, y, mask, 4).equal(loaded.Forward(x, t, y, mask, 4)).all().item<bool>());
        Assert.True(model.Forward(x, t, y, mask).equal(loaded.Forward(x, t, y, mask)).all().item<bool>());
    }

    [Fact]
    public void Flops_count_every_linear_layer_and_both_attentions()
    {
        // An independent count: every weight matrix of the model times the tokens it is applied to, plus the
        // attention products (self: 2·T²·D, cross: 2·T·L·D per block).
        var config = new PixArtConfig { InputSize = 16, PatchSize = 2, HiddenSize = 96, Depth = 3, NumHeads = 6, CaptionChannels = 32, ModelMaxLength = 8 };
        using var model = new PixArt(config);
        Flexify.AddWeakPatchSize(model, 4, loraRank: 3);
        foreach (int p in new[] { 2, 4 })
        {
            long tokens = (16 / p) * (16 / p), l = 8, d = 96;
            long expected = 0;
            foreach (var (name, w) in model.named_parameters())
            {
                bool weakOnly = name.StartsWith("flexi.", StringComparison.Ordinal) || name.Contains(".lora.", StringComparison.Ordinal);
                bool originalOnly = name.StartsWith("x_embedder", StringComparison.Ordinal) || name.StartsWith("final_layer.linear", StringComparison.Ordinal);
                bool used = weakOnly
                    ? name.StartsWith($"flexi.{p}.", StringComparison.Ordinal) || name.Contains($".lora.{p}.", StringComparison.Ordinal)
                    : p == config.PatchSize || !originalOnly;
                if (!used || w.dim() < 2 || name.Contains("scale_shift_table", StringComparison.Ordinal) || name.Contains("y_embedding", StringComparison.Ordinal)) continue;
                long applied = name.StartsWith("t_", StringComparison.Ordinal) ? 1
                    : name.StartsWith("y_embedder", StringComparison.Ordinal) || name.Contains("kv_linear", StringComparison.Ordinal) ? l : tokens;
                expected += applied * w.numel();
            }
            expected += config.Depth * (2 * tokens * tokens * d + 2 * tokens * l * d);
            Assert.Equal(expected, FlopCounter.MultiplyAdds(model.Config, p));
        }
    }
}
