using FlexiDiT.Engine;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Tests.Engine;

/// <summary>The one-pass norm and modulation gives libtorch's layer_norm followed by DiT's modulate.</summary>
public sealed class FusedNormModulateTests
{
    [SkippableTheory]
    [InlineData(3, 10, 48)]
    [InlineData(2, 64, 384)]
    public void It_is_layer_norm_then_modulate_per_image(long images, long tokens, long width)
    {
        Skip.IfNot(FusedNormModulate.IsSupported, "this CPU lacks AVX2 or FMA");
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        var x = (randn([images, tokens, width], generator: generator) * 3) + 1; // an offset mean, as residual streams have
        var shift = randn([images, 1, width], generator: generator);
        var scale = randn([images, 1, width], generator: generator);

        var expected = (F.layer_norm(x, [width], null, null, 1e-6) * (scale + 1)) + shift;
        var actual = FusedNormModulate.Apply(x, shift, scale, 1e-6, threads: 2);

        Assert.True(allclose(expected, actual, rtol: 1e-4, atol: 1e-5), $"max |Δ| {(expected - actual).abs().max().item<float>()}");
        Assert.True(x.equal((randn([images, tokens, width], generator: new Generator(5)) * 3) + 1).all().item<bool>(), "the input is left as it was");
    }

    [SkippableFact]
    public void Tokens_it_cannot_take_are_refused_and_said_so()
    {
        Skip.IfNot(FusedNormModulate.IsSupported, "this CPU lacks AVX2 or FMA");
        using var scope = NewDisposeScope();
        var odd = randn(2, 4, 12);
        Assert.False(FusedNormModulate.Suits(odd));
        Assert.False(FusedNormModulate.Suits(randn(2, 16, 4).transpose(1, 2)));
        var error = Assert.Throws<ArgumentException>(() => FusedNormModulate.Apply(randn(2, 4, 16), randn(3, 16), randn(2, 16), 1e-6, 1));
        Assert.Contains("shift must be float32 on the CPU with 16 values for each of the 2 images", error.Message);
        Assert.Throws<ArgumentException>(() => FusedNormModulate.Apply(odd, randn(2, 12), randn(2, 12), 1e-6, 1));
    }
}
