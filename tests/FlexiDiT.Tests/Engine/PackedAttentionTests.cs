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
