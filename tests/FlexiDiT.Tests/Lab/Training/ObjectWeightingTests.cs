using FlexiDiT.Data.Scenes;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using FlexiDiT.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Training;

/// <summary>The object-weighted ε loss of the text-to-image trainer: where it weighs, how much, and when it ends.</summary>
public sealed class ObjectWeightingTests
{
    private static readonly GaussianDiffusion Diffusion = new(null, VarianceKind.FixedLarge);

    [Fact]
    public void The_object_mask_covers_the_object_and_nothing_of_the_background()
    {
        var batch = new SceneDataset(3).Batch(0, 8);
        using var mask = batch.ObjectMask();
        Assert.Equal([8, 1, 32, 32], mask.shape);
        for (int i = 0; i < 8; i++)
        {
            var sample = batch.Samples[i];
            var (r, g, b) = sample.Drawing.Background;
            var image = batch.Images[i];
            var isBackground = (image[0] - (r * 2 - 1)).abs().lt(1e-6) & (image[1] - (g * 2 - 1)).abs().lt(1e-6) & (image[2] - (b * 2 - 1)).abs().lt(1e-6);
            Assert.Equal(0, (mask[i, 0] * isBackground.to(ScalarType.Float32)).sum().item<float>());
            float covered = mask[i].sum().item<float>();
            // Small objects cover about 28 pixels, large ones about 120 (with their edges), of 1024.
            Assert.InRange(covered, 15, 250);
            Assert.Equal(1024 - covered, isBackground.sum().item<long>());
        }
    }

    [Fact]
    public void Pixel_weights_scale_each_pixels_error_and_weights_of_one_change_nothing()
    {
        var generator = new Generator(5);
        long[] indices = [100, 500];
        var xStart = rand([2, 3, 8, 8], generator: generator) * 2 - 1;
        var noise = randn(xStart.shape, generator: generator);
        var prediction = randn(xStart.shape, generator: generator);
        var xT = Diffusion.QSample(xStart, indices, noise);
        var plain = Diffusion.TrainingLoss(prediction, xStart, xT, indices, noise);
        var ones = Diffusion.TrainingLoss(prediction, xStart, xT, indices, noise, pixelWeights: torch.ones(2, 1, 8, 8));
        var weights = torch.ones(2, 1, 8, 8);
        weights[0, 0, 0, 0] = torch.tensor(11f);
        var weighted = Diffusion.TrainingLoss(prediction, xStart, xT, indices, noise, pixelWeights: weights);
        Assert.Equal(plain.data<float>().ToArray(), ones.data<float>().ToArray());
        float extra = 10 * (noise[0, .., 0, 0] - prediction[0, .., 0, 0]).pow(2).sum().item<float>() / (3 * 8 * 8);
        Assert.Equal(plain[0].item<float>() + extra, weighted[0].item<float>(), 4);
        Assert.Equal(plain[1].item<float>(), weighted[1].item<float>());
    }

    [Fact]
    public void The_weight_holds_until_the_cool_down_and_is_gone_by_its_middle()
    {
        var options = new TextToImageTrainOptions
        {
            RunDirectory = "unused", WarmupSteps = 100, ObjectWeight = 9,
            Model = TextToImageConfig.Scenes(128, depth: 1, hidden: 32, heads: 2),
        };
        Assert.Equal(9, options.ObjectWeightAt(step: 10, factor: 0.1));
        Assert.Equal(9, options.ObjectWeightAt(step: 5000, factor: 1));
        Assert.Equal(4.5, options.ObjectWeightAt(step: 9000, factor: 0.75), 6);
        Assert.Equal(0, options.ObjectWeightAt(step: 9500, factor: 0.5));
        Assert.Equal(0, options.ObjectWeightAt(step: 9900, factor: 0.1));
    }
}
