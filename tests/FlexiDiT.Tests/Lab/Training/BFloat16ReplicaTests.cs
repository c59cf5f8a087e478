using FlexiDiT.Data;
using FlexiDiT.Models;
using FlexiDiT.Training;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Training;

/// <summary>
/// <c>train --bf16</c> must train the same model as float32, only faster. The whole-run comparison in
/// <see cref="TrainingTests"/> looks at all weights together, where one small tensor with a wrong gradient
/// (a patch embedding whose rows and columns were swapped, say) would hide; this compares every parameter.
/// </summary>
public sealed class BFloat16ReplicaTests
{
    [Fact]
    public void Every_parameter_gets_the_float32_gradient_up_to_bfloat16_rounding()
    {
        manual_seed(11);
        using var model = new DiT(ShapesDataset.ModelConfig(depth: 2, hidden: 64, heads: 2));
        model.train();
        var (images, labels, _) = new ShapesDataset(3).Batch(0, 8);
        var x = images * 0.6 + randn_like(images) * 0.8;
        var t = tensor(new float[] { 10, 100, 250, 400, 550, 700, 850, 990 });
        var target = randn(8, 6, 32, 32);

        model.zero_grad();
        (model.Forward(x, t, labels) - target).pow(2).mean().backward();
        var float32 = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.grad!.clone());

        model.zero_grad();
        using var replica = new BFloat16Replica(model);
        (replica.Forward(x, t, labels) - target).pow(2).mean().backward();
        replica.CopyGradientsToMaster();

        Assert.All(model.named_parameters(), p =>
        {
            var (expected, actual) = (float32[p.name], p.parameter.grad!);
            Assert.Equal(ScalarType.Float32, actual.dtype);
            double cosine = (expected * actual).sum().item<float>() / (expected.norm() * actual.norm()).item<float>();
            double normRatio = (actual.norm() / expected.norm()).item<float>();
            Assert.True(cosine > 0.999 && Math.Abs(normRatio - 1) < 0.02, $"{p.name}: cosine {cosine:F5}, norm ratio {normRatio:F4}");
        });
    }
}
