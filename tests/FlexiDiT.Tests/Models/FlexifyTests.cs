using FlexiDiT.Checkpoints;
using FlexiDiT.Engine;
using FlexiDiT.Models;
using FlexiDiT.Verification;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Tests.Models;

/// <summary>The FlexiDiT conversion: PI-resize and exactness at the original patch size.</summary>
public class FlexifyTests
{
    private static DiT Reference() => DiTCheckpoint.Load(Path.Combine(TestPaths.ReferenceDirectory, "dit_tiny_a.safetensors"), Path.Combine(TestPaths.ReferenceDirectory, "dit_tiny_a.json"));

    [Fact]
    public void Pi_resized_embedding_of_an_upsampled_patch_equals_the_original_embedding()
    {
        using var model = Reference();
        Flexify.AddWeakPatchSize(model, 4, loraRank: 0);
        using var _ = torch.no_grad();
        // Patches x (N, C, 2, 2) and their bilinear upsamples Bx (N, C, 4, 4).
        var x = torch.randn(5, 4, 2, 2, generator: new Generator(3));
        var bx = F.interpolate(x, size: [4, 4], mode: InterpolationMode.Bilinear, align_corners: false);
        var original = model.PatchEmbedder.Proj.forward(x);
        var resized = model.WeakParts(4).Embedder.Proj.forward(bx);
        Assert.True(torch.allclose(original, resized, rtol: 1e-4, atol: 1e-5), $"max diff {(original - resized).abs().max().item<float>()}");
    }

    [Fact]
    public void Resized_de_embedding_outputs_the_bilinear_upsample_of_the_original_output()
    {
        using var model = Reference();
        Flexify.AddWeakPatchSize(model, 4, loraRank: 0);
        using var _ = torch.no_grad();
        var tokens = torch.randn(3, 96, generator: new Generator(4));
        var c = model.Config.OutChannels;
        var original = model.FinalLayer.Linear.forward(tokens).view(3, 2, 2, c).permute(0, 3, 1, 2);
        var weak = model.WeakParts(4).DeEmbedding.forward(tokens).view(3, 4, 4, c).permute(0, 3, 1, 2);
        var upsampled = F.interpolate(original, size: [4, 4], mode: InterpolationMode.Bilinear, align_corners: false);
        Assert.True(torch.allclose(weak, upsampled, rtol: 1e-4, atol: 1e-5));
    }

    [Fact]
    public void Converted_model_reproduces_the_original_at_the_original_patch_size()
    {
        using var base_ = Reference();
        using var flexible = Reference();
        Flexify.AddWeakPatchSize(flexible, 4, loraRank: 4);
        using var _ = torch.no_grad();
        // Make the weak parts non-trivial: they must not leak into the original path.
        foreach (var p in flexible.WeakParameters()) p.normal_(0, 0.5);
        var x = torch.randn(2, 4, 16, 16, generator: new Generator(5));
        var t = torch.tensor(new long[] { 10, 900 });
        var y = torch.tensor(new long[] { 1, 10 });
        Assert.True(torch.allclose(base_.Forward(x, t, y), flexible.Forward(x, t, y, 2), rtol: 0, atol: 0));
        Assert.Equal(new long[] { 2, 8, 16, 16 }, flexible.Forward(x, t, y, 4).shape);
    }

    // The reference DiT with weak patch 4 and non-trivial adapters, the same every time.
    private static DiT AdaptedReference()
    {
        var model = Reference();
        Flexify.AddWeakPatchSize(model, 4, loraRank: 4);
        using var _ = torch.no_grad();
        var weights = new Generator(21);
        foreach (var p in model.WeakParameters()) p.copy_(torch.randn(p.shape, generator: weights) * 0.5);
        return model;
    }

    private static (Tensor X, Tensor T, Tensor Y) Inputs() =>
        (torch.randn(2, 4, 16, 16, generator: new Generator(6)), torch.tensor(new long[] { 10, 900 }), torch.tensor(new long[] { 1, 10 }));

    [Fact]
    public void Merged_adapters_give_the_weak_patch_size_the_same_output_and_leave_the_original_s_unchanged()
    {
        using var model = AdaptedReference();
        using var _ = torch.no_grad();
        var (x, t, y) = Inputs();
        var (weak, original) = (model.Forward(x, t, y, 4), model.Forward(x, t, y, 2));

        model.MergeAdapters();
        var mergedWeak = model.Forward(x, t, y, 4);
        Assert.True(torch.allclose(weak, mergedWeak, rtol: 1e-3, atol: 1e-4), $"max |Δ| {(weak - mergedWeak).abs().max().item<float>()}");
        // Not bit for bit where freezing also packs the weights: the packed kernel sums in another order than libtorch.
        var frozenOriginal = model.Forward(x, t, y, 2);
        Assert.True(torch.allclose(original, frozenOriginal, rtol: 1e-5, atol: 1e-5), $"max |Δ| {(original - frozenOriginal).abs().max().item<float>()}");
    }

    [Fact]
    public void A_layer_cast_after_merging_casts_its_merged_weight_and_drops_its_float32_packed_copies()
    {
        using var layer = new AdaptedLinear(24, 40);
        layer.AddAdapter(4, rank: 2);
        layer.MergeAdapters();
        long merged = 40 * 24, packed = 2 * 48 * 25; // W + B·A; packed W and W + B·A, outputs padded to 48, with the bias
        long float32Bytes = (merged + (CpuLinear.UsesPackedWeights ? packed : 0)) * sizeof(float);
        Assert.Equal(float32Bytes, layer.InferenceCopyBytes);

        layer.to(ScalarType.BFloat16);
        Assert.Equal(merged * 2, layer.InferenceCopyBytes);

        layer.to(ScalarType.Float32);
        Assert.Equal(float32Bytes, layer.InferenceCopyBytes);
    }

    [Fact]
    public void A_model_frozen_in_float32_and_cast_to_bfloat16_keeps_one_merged_weight_per_layer_in_bfloat16()
    {
        using var model = AdaptedReference();
        using var _ = torch.no_grad();
        var (x, t, y) = Inputs();
        model.MergeAdapters();
        var weak = model.Forward(x, t, y, 4);

        model.to(ScalarType.BFloat16);

        // What is left beside the parameters: each adapted layer's W + B·A, in bfloat16, and no packed float32 copy.
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        long expected = parameters.Keys.Where(n => n.EndsWith(".lora.4.A", StringComparison.Ordinal))
            .Sum(n => parameters[n[..n.IndexOf(".lora.", StringComparison.Ordinal)] + ".weight"].NumberOfElements * 2);
        Assert.True(expected > 0);
        Assert.Equal(expected, model.InferenceCopyBytes);
        var weakInBFloat16 = model.Forward(x, t, y, 4);
        double relative = ((weakInBFloat16 - weak).norm() / weak.norm()).item<float>();
        Assert.True(relative < ReferenceCheck.BFloat16ForwardTolerance, $"relative error {relative:E2}");
    }

    [Fact]
    public void Weak_grid_positions_use_the_original_coordinates()
    {
        // A 2×2 grid of tokens that each span 2 original patches sits at original positions 0.5 and 2.5.
        var coarse = PositionEmbedding.SinCos2D(8, 2, 2, originalPatchesPerToken: 2);
        var fine = PositionEmbedding.SinCos2D(8, 4, 4, originalPatchesPerToken: 1);
        // Column embedding (first half) of coarse token (0, 0) lies between fine columns 0 and 1: sin(0.5) for ω=1.
        Assert.Equal(MathF.Sin(0.5f), coarse[0, 0].item<float>(), 5);
        Assert.Equal(MathF.Sin(1f), fine[1, 0].item<float>(), 5);
    }

    [Fact]
    public void Saved_flexidit_round_trips_with_its_config()
    {
        using var model = Reference();
        Flexify.AddWeakPatchSize(model, 4, loraRank: 2);
        string path = Path.Combine(Path.GetTempPath(), $"flexi-{Guid.NewGuid():N}.safetensors");
        try
        {
            DiTCheckpoint.Save(model, path);
            using var loaded = DiTCheckpoint.Load(path);
            Assert.Equal([4], loaded.Config.FlexiPatchSizes);
            var x = torch.randn(1, 4, 16, 16);
            var t = torch.tensor(new long[] { 500 });
            var y = torch.tensor(new long[] { 3 });
            using var _ = torch.no_grad();
            Assert.True(torch.allclose(model.Forward(x, t, y, 4), loaded.Forward(x, t, y, 4)));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
