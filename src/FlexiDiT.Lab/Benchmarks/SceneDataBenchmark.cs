using System.Diagnostics;
using FlexiDiT.Data;
using FlexiDiT.Data.Scenes;
using FlexiDiT.Prompts.Captions;
using static TorchSharp.torch;

namespace FlexiDiT.Benchmarks;

/// <summary>
/// Times what a text-to-image training step asks of the data on one thread: sample scenes and captions, render them
/// (<see cref="ShapesDataset.Render"/>, one after the other), make the image tensor and tokenize the captions.
/// </summary>
public static class SceneDataBenchmark
{
    /// <summary>Times <paramref name="batches"/> batches of <paramref name="batchSize"/> (after one warm-up batch).</summary>
    public static SceneDataTiming Run(int batches = 200, int batchSize = 32, long seed = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batches);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        var data = new SceneDataset(seed);
        var tokenizer = SceneTokenizer.FromGrammar();
        var pixels = new float[batchSize * 3 * ShapesDataset.ImageSize * ShapesDataset.ImageSize];
        void OneBatch(long start)
        {
            using var scope = NewDisposeScope();
            var captions = new string[batchSize];
            for (int i = 0; i < batchSize; i++)
            {
                var sample = data.Sample(start + i);
                captions[i] = sample.Caption;
                ShapesDataset.Render(sample.Drawing).CopyTo(pixels, i * pixels.Length / batchSize);
            }
            _ = tensor(pixels, [batchSize, 3, ShapesDataset.ImageSize, ShapesDataset.ImageSize]);
            _ = tokenizer.EncodeBatch(captions);
        }

        OneBatch(0);
        var process = Process.GetCurrentProcess();
        var cpu = process.TotalProcessorTime;
        var clock = Stopwatch.StartNew();
        for (int b = 1; b <= batches; b++) OneBatch((long)b * batchSize);
        double wall = clock.Elapsed.TotalSeconds;
        process.Refresh();
        double cpuSeconds = (process.TotalProcessorTime - cpu).TotalSeconds;
        return new SceneDataTiming(batches, batchSize, wall / batches, cpuSeconds / batches, batches / cpuSeconds);
    }
}
