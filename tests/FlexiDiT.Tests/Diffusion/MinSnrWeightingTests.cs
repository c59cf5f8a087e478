using FlexiDiT.Diffusion;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Diffusion;

/// <summary>The Min-SNR-γ loss weighting the shipped model was trained with.</summary>
public sealed class MinSnrWeightingTests
{
    private static readonly GaussianDiffusion Diffusion = new(null, VarianceKind.FixedLarge);

    private static float[] Losses(long[] indices, double? gamma)
    {
        var generator = new Generator(3);
        var xStart = rand([indices.Length, 3, 8, 8], generator: generator) * 2 - 1;
        var noise = randn(xStart.shape, generator: generator);
        var prediction = randn(xStart.shape, generator: generator);
        var xT = Diffusion.QSample(xStart, indices, noise);
        return Diffusion.TrainingLoss(prediction, xStart, xT, indices, noise, gamma).data<float>().ToArray();
    }

    [Fact]
    public void Noisy_timesteps_keep_full_weight_and_nearly_clean_ones_are_scaled_by_gamma_over_snr()
    {
        long[] indices = [5, 300, 999];
        float[] plain = Losses(indices, null), weighted = Losses(indices, 5);
        Assert.True(Diffusion.SignalToNoise(5) > 5 && Diffusion.SignalToNoise(999) < 5);
        Assert.Equal(5 / Diffusion.SignalToNoise(5), weighted[0] / plain[0], 4);
        Assert.Equal(plain[2], weighted[2], 5);
        Assert.True(weighted[1] <= plain[1]);
    }

    [Fact]
    public void A_non_positive_gamma_is_refused()
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Losses([10], 0));
        Assert.Contains("γ must be positive", error.Message);
    }
}
