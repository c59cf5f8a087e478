using System.Runtime.Intrinsics;
using FlexiDiT.Engine;
using FlexiDiT.Models;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Tests.Engine;

/// <summary>The packed AVX2 kernel gives libtorch's linear layer (and GELU), whatever the shape, thread count or batch position.</summary>
public sealed class PackedGemmTests
{
    private const string Unsupported = "this CPU lacks AVX2 or FMA, which the packed kernel needs";

    [SkippableTheory]
    [InlineData(new long[] { 2, 64, 96 }, 288, true)] // whole tiles and panels
    [InlineData(new long[] { 3, 5, 7 }, 11, true)] // a 3-row tile, an edge panel, fewer features than anything
    [InlineData(new long[] { 2, 5, 40 }, 48, true)] // a 6-row and a 4-row tile of whole panels
    [InlineData(new long[] { 1, 77, 603 }, 40, false)] // three feature blocks (256 + 256 + 91: 8 at a time, then 3), a 5-row tile, no bias
    [InlineData(new long[] { 300, 33 }, 17, true)] // rows over one row block (256), 17 outputs: a panel of one
    public void The_product_is_F_linear_s(long[] inputShape, long outFeatures, bool withBias)
    {
        Skip.IfNot(PackedGemm.IsSupported, Unsupported);
        using var scope = NewDisposeScope();
        var (x, w, b) = Random(inputShape, outFeatures, withBias, seed: 1);
        using var packed = new PackedWeight(w, b);

        var expected = F.linear(x, w, b);
        var actual = PackedGemm.Multiply(x, packed, GemmActivation.None, threads: 2);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(allclose(expected, actual, rtol: 1e-4, atol: 1e-4), $"max |Δ| {(expected - actual).abs().max().item<float>()}");
    }

    [SkippableTheory]
    [InlineData(new long[] { 2, 5, 40 }, 48, true, GemmActivation.None)] // a pair of panels and one alone; a 6- and a 4-row tile
    [InlineData(new long[] { 1, 77, 603 }, 72, false, GemmActivation.Gelu)] // three feature blocks; two pairs and an edge panel of 8
    [InlineData(new long[] { 300, 33 }, 64, true, GemmActivation.Gelu)] // two row blocks of whole pairs
    public void The_512_bit_tile_gives_the_256_bit_tile_s_bits(long[] inputShape, long outFeatures, bool withBias, GemmActivation activation)
    {
        // Where the CPU has no AVX-512 the wide tile runs on .NET's software vectors: slow, but the same arithmetic.
        Skip.IfNot(PackedGemm.IsSupported, Unsupported);
        using var scope = NewDisposeScope();
        var (x, w, b) = Random(inputShape, outFeatures, withBias, seed: 21);
        var residual = randn([.. inputShape[..^1], outFeatures], generator: new Generator(22));
        var gate = randn(inputShape[0], 1, outFeatures, generator: new Generator(23));
        using var packed = new PackedWeight(w, b);

        var (narrow, narrowResidual) = Products(256);
        var (wide, wideResidual) = Products(512);

        var expected = F.linear(x, w, b);
        if (activation == GemmActivation.Gelu) expected = F.gelu(expected, TorchSharp.Modules.GELU.Approximate.tanh);
        Assert.True(allclose(expected, wide, rtol: 1e-4, atol: 1e-4), $"max |Δ| {(expected - wide).abs().max().item<float>()}");
        Assert.True(wide.equal(narrow).all().item<bool>(), $"max |Δ| {(wide - narrow).abs().max().item<float>()}");
        Assert.True(wideResidual.equal(narrowResidual).all().item<bool>(), $"max |Δ| {(wideResidual - narrowResidual).abs().max().item<float>()}");

        (Tensor Product, Tensor Residual) Products(int bits)
        {
            using var width = PackedGemm.UseVectorBits(bits);
            var updated = residual.clone();
            return (PackedGemm.Multiply(x, packed, activation, threads: 2), PackedGemm.MultiplyIntoResidual(x, packed, updated, gate, threads: 2));
        }
    }

    [SkippableFact]
    public void The_fused_GELU_is_libtorch_s_tanh_GELU_of_the_product()
    {
        Skip.IfNot(PackedGemm.IsSupported, Unsupported);
        using var scope = NewDisposeScope();
        var (x, w, b) = Random([2, 40, 64], 100, withBias: true, seed: 2);
        x.mul_(4); // pre-activations from about −40 to 40: both tails of e^(−2u)
        using var packed = new PackedWeight(w, b);

        var expected = F.gelu(F.linear(x, w, b), TorchSharp.Modules.GELU.Approximate.tanh);
        var actual = PackedGemm.Multiply(x, packed, GemmActivation.Gelu, threads: 2);

        Assert.True(allclose(expected, actual, rtol: 1e-4, atol: 1e-4), $"max |Δ| {(expected - actual).abs().max().item<float>()}");
    }

    [SkippableFact]
    public void The_inline_exponential_is_within_a_few_float_ulps_of_the_exact_one()
    {
        Skip.IfNot(PackedGemm.IsSupported, Unsupported);
        double worst = 0;
        for (float y = -87f; y <= 88f; y += 0.01171875f)
        {
            var e = PackedGemm.Exp(Vector256.Create(y)).ToScalar();
            worst = Math.Max(worst, Math.Abs(e - Math.Exp(y)) / Math.Exp(y));
        }

        Assert.True(worst < 3e-7, $"worst relative error {worst:E2}"); // float's ulp is 6e-8 to 1.2e-7 of the value
        Assert.InRange(PackedGemm.Gelu(Vector256.Create(-1000f)).ToScalar(), -1e-30f, 0f);
        Assert.Equal(1000f, PackedGemm.Gelu(Vector256.Create(1000f)).ToScalar());
    }

    [SkippableFact]
    public void A_row_s_result_does_not_depend_on_the_thread_count_or_on_the_other_rows()
    {
        Skip.IfNot(PackedGemm.IsSupported, Unsupported);
        using var scope = NewDisposeScope();
        var (x, w, b) = Random([50, 300], 48, withBias: true, seed: 3);
        using var packed = new PackedWeight(w, b);

        var alone = PackedGemm.Multiply(x[..7], packed, GemmActivation.Gelu, threads: 1);
        var batched = PackedGemm.Multiply(x, packed, GemmActivation.Gelu, threads: 2);

        // Each output sums its products in the same order wherever its row sits: batching two jobs gives each the same bits.
        Assert.True(alone.equal(batched[..7]).all().item<bool>());
    }

    [SkippableFact]
    public void The_gated_residual_update_adds_each_image_s_gate_times_the_product_into_the_residual_in_place()
    {
        Skip.IfNot(PackedGemm.IsSupported, Unsupported);
        using var scope = NewDisposeScope();
        var (x, w, b) = Random([3, 20, 40], 24, withBias: true, seed: 8);
        var residual = randn(3, 20, 24, generator: new Generator(9));
        var gate = randn(3, 1, 24, generator: new Generator(10));
        var expected = residual + (gate * F.linear(x, w, b));
        using var packed = new PackedWeight(w, b);

        var returned = PackedGemm.MultiplyIntoResidual(x, packed, residual, gate, threads: 2);

        Assert.Same(residual, returned);
        Assert.True(allclose(expected, residual, rtol: 1e-4, atol: 1e-4), $"max |Δ| {(expected - residual).abs().max().item<float>()}");
        var wrongGate = Assert.Throws<ArgumentException>(() => PackedGemm.MultiplyIntoResidual(x, packed, residual, randn(7, 24), 1));
        Assert.Contains("whole number of tokens per image", wrongGate.Message);
    }

    [SkippableFact]
    public void A_product_too_large_to_pack_at_once_goes_in_row_chunks_with_the_same_result()
    {
        Skip.IfNot(PackedGemm.IsSupported, Unsupported);
        using var scope = NewDisposeScope();
        // The packed input holds 4 Mi floats: 110 000 rows of 40 features are two chunks, split inside the second image.
        var (x, w, b) = Random([2, 55_000, 40], 17, withBias: true, seed: 13);
        var residual = randn(2, 55_000, 17, generator: new Generator(14));
        var gate = randn(2, 1, 17, generator: new Generator(15));
        var expected = F.linear(x, w, b);
        var expectedResidual = residual + (gate * expected);
        using var packed = new PackedWeight(w, b);

        var actual = PackedGemm.Multiply(x, packed, GemmActivation.None, threads: 2);
        PackedGemm.MultiplyIntoResidual(x, packed, residual, gate, threads: 2);

        Assert.True(allclose(expected, actual, rtol: 1e-4, atol: 1e-4), $"max |Δ| {(expected - actual).abs().max().item<float>()}");
        Assert.True(allclose(expectedResidual, residual, rtol: 1e-4, atol: 1e-4), $"max |Δ| {(expectedResidual - residual).abs().max().item<float>()}");
    }

    [SkippableFact]
    public void A_frozen_DiT_with_packed_weights_gives_the_unfrozen_model_s_output()
    {
        Skip.IfNot(CpuLinear.UsesPackedWeights, "the process-wide linear backend here is not the packed kernel (an Intel CPU, or FLEXIDIT_LINEAR set)");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var config = new DiTConfig { Depth = 2, HiddenSize = 48, NumHeads = 3, PatchSize = 2, InputSize = 8, InChannels = 4, NumClasses = 10 };
        using var frozen = new DiT(config);
        Flexify.AddWeakPatchSize(frozen, 4, loraRank: 2);
        foreach (var p in frozen.parameters()) p.normal_(0, 0.3, generator: new Generator(11));
        using var unfrozen = new DiT(frozen.Config);
        foreach (var (name, tensor) in frozen.state_dict()) unfrozen.state_dict()[name].copy_(tensor);
        frozen.MergeAdapters(); // packs every block's weights and the stacked adaLN weights

        var x = randn(2, 4, 8, 8, generator: new Generator(12));
        var t = tensor(new long[] { 10, 900 });
        var y = tensor(new long[] { 1, 7 });
        foreach (var patch in new[] { 2, 4 })
        {
            var (expected, actual) = (unfrozen.Forward(x, t, y, patch), frozen.Forward(x, t, y, patch));
            Assert.True(allclose(expected, actual, rtol: 1e-4, atol: 1e-4), $"patch {patch}: max |Δ| {(expected - actual).abs().max().item<float>()}");
        }
    }

    [SkippableFact]
    public void A_non_contiguous_input_is_read_as_its_values_not_its_storage()
    {
        Skip.IfNot(PackedGemm.IsSupported, Unsupported);
        using var scope = NewDisposeScope();
        var x = randn(6, 4, 5, generator: new Generator(4)).transpose(0, 1);
        var w = randn(3, 5, generator: new Generator(5));
        using var packed = new PackedWeight(w, null);

        Assert.True(allclose(F.linear(x, w), PackedGemm.Multiply(x, packed, GemmActivation.None, threads: 2), rtol: 1e-4, atol: 1e-5));
    }

    [SkippableFact]
    public void Bad_inputs_are_refused_saying_what_is_expected()
    {
        Skip.IfNot(PackedGemm.IsSupported, Unsupported);
        using var scope = NewDisposeScope();
        using var packed = new PackedWeight(randn(4, 8), null);

        var wrongWidth = Assert.Throws<ArgumentException>(() => PackedGemm.Multiply(randn(2, 7), packed, GemmActivation.None, 1));
        Assert.Contains("with 8 features last", wrongWidth.Message);
        var wrongType = Assert.Throws<ArgumentException>(() => new PackedWeight(randn(4, 8, dtype: ScalarType.Float64), null));
        Assert.Contains("2-D float32 CPU tensor", wrongType.Message);
        Assert.Throws<ArgumentException>(() => new PackedWeight(randn(4, 8), randn(5)));

        packed.Dispose();
        Assert.Throws<ObjectDisposedException>(() => PackedGemm.Multiply(randn(2, 8), packed, GemmActivation.None, 1));
    }

    [SkippableFact]
    public void A_frozen_layer_multiplies_with_packed_weights_for_inference_and_with_libtorch_for_training()
    {
        Skip.IfNot(CpuLinear.UsesPackedWeights, "the process-wide linear backend here is not the packed kernel (an Intel CPU, or FLEXIDIT_LINEAR set)");
        using var scope = NewDisposeScope();
        using var layer = new AdaptedLinear(24, 40);
        layer.AddAdapter(4, rank: 2);
        using (no_grad()) foreach (var p in layer.parameters()) p.normal_(0, 0.5, generator: new Generator(6));
        var x = randn(3, 10, 24, generator: new Generator(7));

        using (no_grad())
        {
            // Before freezing: libtorch's (or OpenBLAS's) product, plus the adapter's at patch 4, then GELU.
            var unfrozen = new[] { 2, 4 }.Select(patch => layer.Forward(x, patch, GemmActivation.Gelu)).ToList();
            layer.MergeAdapters();
            var frozen = new[] { 2, 4 }.Select(patch => layer.Forward(x, patch, GemmActivation.Gelu)).ToList();
            for (int i = 0; i < 2; i++) Assert.True(allclose(unfrozen[i], frozen[i], rtol: 1e-4, atol: 1e-4), $"max |Δ| {(unfrozen[i] - frozen[i]).abs().max().item<float>()}");
            Assert.False(allclose(frozen[0], frozen[1], rtol: 1e-2, atol: 1e-2), "the adapter changes patch 4's output");
        }

        var trained = layer.Forward(x, 2);
        Assert.True(trained.requires_grad, "with gradients on, the frozen copies are bypassed");
    }

    private static (Tensor X, Tensor W, Tensor? B) Random(long[] inputShape, long outFeatures, bool withBias, int seed)
    {
        var generator = new Generator((ulong)seed);
        return (randn(inputShape, generator: generator), randn(outFeatures, inputShape[^1], generator: generator) / Math.Sqrt(inputShape[^1]),
            withBias ? randn(outFeatures, generator: generator) : null);
    }
}
