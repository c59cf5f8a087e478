using FlexiDiT.Engine;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Tests.Engine;

/// <summary>Attention on the packed kernel gives libtorch's scaled-dot-product attention with the heads merged, whatever the shape.</summary>
public sealed class PackedAttentionTests
{
    [SkippableTheory]
    [InlineData(2, 64, 2, 64)] // the shipped model at patch 4: whole tiles and panels
    [InlineData(1, 50, 3, 72)] // PixArt's head width (a 16-feature panel of 8), tokens not a multiple of 6 or 16
    [InlineData(3, 7, 1, 16)] // fewer tokens than a panel
    [InlineData(1, 300, 2, 40)] // more keys than a feature block (256 + 44), more queries than a block (48)
    [InlineData(2, 33, 3, 20)] // a head width that is not a multiple of 8 (features transposed 8 at a time, then 4)
    public void The_result_is_scaled_dot_product_attention_with_the_heads_merged(int images, int tokens, int heads, int headWidth)
    {
        Skip.IfNot(PackedGemm.IsSupported, "this CPU lacks AVX2 or FMA, which the packed kernel needs");
        using var scope = NewDisposeScope();
        int width = heads * headWidth;
        var qkv = randn(images, tokens, 3 * width, generator: new Generator(21)) * 2;
        var split = qkv.view(images, tokens, 3, heads, headWidth).permute(2, 0, 3, 1, 4);
        var expected = F.scaled_dot_product_attention(split[0], split[1], split[2]).transpose(1, 2).reshape(images, tokens, width);

        var actual = PackedAttention.Attend(qkv, heads, threads: 2);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(allclose(expected, actual, rtol: 1e-4, atol: 1e-5), $"max |Δ| {(expected - actual).abs().max().item<float>()}");
    }

    [SkippableTheory]
    [InlineData(3, 50, 3, 72, 20, new[] { 20, 7, 1 })] // PixArt's head width; a full caption, a short one, one token
    [InlineData(2, 64, 2, 64, 300, new[] { 300, 290 })] // more caption tokens than a feature block
    [InlineData(1, 7, 1, 20, 16, new[] { 13 })] // fewer queries than a tile's rows, a head width not a multiple of 8
    public void Caption_attention_is_scaled_dot_product_attention_over_each_caption_s_kept_prefix(int images, int tokens, int heads, int headWidth, int length, int[] kept)
    {
        Skip.IfNot(PackedGemm.IsSupported, "this CPU lacks AVX2 or FMA, which the packed kernel needs");
        using var scope = NewDisposeScope();
        int width = heads * headWidth;
        var q = randn(images, tokens, width, generator: new Generator(23)) * 2;
        var kv = randn(images, length, 2 * width, generator: new Generator(24)) * 2;
        var keep = arange(length).unsqueeze(0) < tensor(kept).unsqueeze(1);
        var bias = FlexiDiT.Models.KeyBias.FromKeep(keep, ScalarType.Float32);
        var split = kv.view(images, length, 2, heads, headWidth).permute(2, 0, 3, 1, 4);
        var expected = F.scaled_dot_product_attention(q.view(images, tokens, heads, headWidth).transpose(1, 2), split[0], split[1], bias)
            .transpose(1, 2).reshape(images, tokens, width);

        var actual = PackedAttention.AttendCaption(q, kv, kept, heads, threads: 2);

        Assert.Equal(kept, FlexiDiT.Models.KeyBias.KeptPrefix(bias));
        Assert.True(allclose(expected, actual, rtol: 1e-4, atol: 1e-5), $"max |Δ| {(expected - actual).abs().max().item<float>()}");
    }

    [Fact]
    public void A_mask_that_keeps_anything_but_a_prefix_has_no_kept_prefix()
    {
        using var scope = NewDisposeScope();
        var holey = tensor(new[,] { { true, true, true }, { true, false, true } });

        Assert.Null(FlexiDiT.Models.KeyBias.KeptPrefix(FlexiDiT.Models.KeyBias.FromKeep(holey, ScalarType.Float32)));
    }

    [SkippableFact]
    public void Caption_attention_refuses_a_kept_length_outside_the_caption()
    {
        Skip.IfNot(PackedGemm.IsSupported, "this CPU lacks AVX2 or FMA, which the packed kernel needs");
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => PackedAttention.AttendCaption(randn(2, 4, 8), randn(2, 5, 16), [5, 6], heads: 2, threads: 1));
        Assert.Contains("kept caption length of 1 … 5; got [5, 6]", error.Message, StringComparison.Ordinal);
    }

    [SkippableFact]
    public void A_strided_input_and_one_thread_give_the_same_result()
    {
        Skip.IfNot(PackedGemm.IsSupported, "this CPU lacks AVX2 or FMA, which the packed kernel needs");
        using var scope = NewDisposeScope();
        var qkv = randn(20, 2, 3 * 32, generator: new Generator(22));

        var strided = PackedAttention.Attend(qkv.transpose(0, 1), heads: 2, threads: 1);
        var contiguous = PackedAttention.Attend(qkv.transpose(0, 1).contiguous(), heads: 2, threads: 2);

        Assert.True(strided.equal(contiguous).all().item<bool>());
    }

    [Fact]
    public void Shapes_it_cannot_take_are_refused_with_what_it_takes()
    {
        using var scope = NewDisposeScope();
        Assert.False(PackedAttention.CanAttend(randn(1, 4, 3 * 30), heads: 4)); // 90 features are not 3 × 4 heads
        Assert.False(PackedAttention.CanAttend(randn(1, 4, 3 * 300), heads: 1)); // a head wider than a feature block
        Assert.False(PackedAttention.CanAttend(randn(1, 4, 24, dtype: ScalarType.Float64), heads: 2));
        var error = Assert.Throws<ArgumentException>(() => PackedAttention.Attend(randn(4, 24), heads: 2, threads: 1));
        Assert.Contains("(N, T, 3·heads·d)", error.Message, StringComparison.Ordinal);
    }
}
