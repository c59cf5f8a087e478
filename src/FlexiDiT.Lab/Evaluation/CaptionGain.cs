using FlexiDiT.Data.Scenes;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Evaluation;

/// <summary>
/// Whether a text-to-image scenes model has learned to read its captions, long before its samples show it: the
/// error of its clean-image prediction (x0, clipped) on the object's pixels, with each scene's own caption and with
/// another scene's caption, at a few noise levels. A model that ignores captions gets the same error either way
/// (ratio 1); one that uses them does worse with the wrong caption (ratio above 1). The loss over all pixels
/// hides this, because the object is 3–11 % of a scene.
/// </summary>
public static class CaptionGain
{
    /// <summary>The timesteps measured by default: where the object is faint or gone in the noisy image.</summary>
    public static IReadOnlyList<int> DefaultTimesteps { get; } = [500, 700, 900];

    /// <summary>One noise level's errors.</summary>
    /// <param name="Timestep">The training timestep (0..999).</param>
    /// <param name="OwnCaption">Mean squared x0 error on object pixels with each scene's own caption.</param>
    /// <param name="OtherCaption">The same with the next scene's caption (the batch's captions rotated by one).</param>
    public sealed record Level(int Timestep, double OwnCaption, double OtherCaption)
    {
        /// <summary>Other-caption error over own-caption error: 1 when the caption is not used.</summary>
        public double Ratio => OtherCaption / OwnCaption;
    }

    /// <summary>
    /// Measures <paramref name="model"/> on <paramref name="count"/> held-aside scenes (indices far beyond any training
    /// run's) with noise of <paramref name="seed"/>; deterministic for a given model.
    /// </summary>
    public static IReadOnlyList<Level> Measure(TextToImageModel model, int count = 48, long seed = 7, IReadOnlyList<int>? timesteps = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (count < 2) throw new ArgumentOutOfRangeException(nameof(count), count, "Give at least 2 scenes: the other caption of a scene is the next scene's.");
        timesteps ??= DefaultTimesteps;
        if (timesteps.Any(t => t is < 0 or >= GaussianDiffusion.TrainingTimesteps))
            throw new ArgumentOutOfRangeException(nameof(timesteps), $"Timesteps run from 0 to {GaussianDiffusion.TrainingTimesteps - 1}.");
        var tokenizer = SceneTokenizer.FromGrammar(model.Config.Denoiser.ModelMaxLength);
        var batch = new SceneDataset(seed).Batch(1_000_000_000L, count);
        string[] own = [.. batch.Captions], other = [.. own.Skip(1), own[0]];
        using var objectMask = batch.ObjectMask();
        double objectPixels = objectMask.sum().item<float>();
        var diffusion = new GaussianDiffusion(null, model.Config.Denoiser.Variance);
        var noDrop = torch.zeros(count, ScalarType.Bool);
        var generator = new Generator((ulong)seed);
        using var _ = torch.no_grad();
        var levels = new List<Level>();
        foreach (int t in timesteps)
        {
            using var scope = torch.NewDisposeScope();
            long[] indices = Enumerable.Repeat((long)t, count).ToArray();
            var noise = torch.randn(batch.Images.shape, generator: generator);
            var xT = diffusion.QSample(batch.Images, indices, noise);
            var modelT = diffusion.ModelTimesteps(indices, xT.device);
            double alphaBar = 1 / (1 + 1 / diffusion.SignalToNoise(t));
            double Error(string[] captions)
            {
                var (ids, mask) = tokenizer.EncodeBatch(captions);
                var eps = model.Forward(xT, modelT, ids, mask, noDrop)[.., ..3];
                var x0 = ((xT - Math.Sqrt(1 - alphaBar) * eps) / Math.Sqrt(alphaBar)).clamp(-1, 1);
                return ((x0 - batch.Images).pow(2).mean([1], keepdim: true) * objectMask).sum().item<float>() / objectPixels;
            }
            levels.Add(new Level(t, Error(own), Error(other)));
        }
        batch.Images.Dispose();
        return levels;
    }
}
