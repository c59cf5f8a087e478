using FlexiDiT.Data;
using FlexiDiT.Training;

namespace FlexiDiT.Benchmarks;

/// <summary>
/// Times <see cref="DiTTrainer"/> itself (data, forward, loss, backward, clipping, AdamW, EMA) on Shapes, in
/// float32 and with <c>--bf16</c>, in alternating rounds so that load from other processes falls on both alike.
/// Whether bfloat16 pays depends on the CPU (AVX512-BF16); this is how to find out before a 2-hour run.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>Runs the comparison for a Shapes DiT of the given size.</summary>
    public static TrainingStepTiming Run(int depth, int hidden, int? heads, int batch, int stepsPerRound = 20, int rounds = 3)
    {
        if (stepsPerRound < 2) throw new ArgumentException($"Time at least 2 steps per round (got {stepsPerRound}).", nameof(stepsPerRound));
        if (rounds < 1) throw new ArgumentException($"Run at least 1 round (got {rounds}).", nameof(rounds));
        var model = ShapesDataset.ModelConfig(depth, hidden, heads);
        var scratch = Directory.CreateTempSubdirectory("flexidit-train-bench");
        try
        {
            var times = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
            for (int round = 0; round < rounds; round++)
            {
                // The first round of each warms up (allocator, kernels) and is not counted when there are others.
                foreach (bool bf16 in round % 2 == 0 ? new[] { false, true } : [true, false])
                {
                    var options = new TrainOptions
                    {
                        RunDirectory = Path.Combine(scratch.FullName, $"{round}-{bf16}"), Model = model, BatchSize = batch,
                        LearningRate = 1e-3, MaxSteps = stepsPerRound, LogEvery = stepsPerRound, BFloat16 = bf16,
                    };
                    var result = new DiTTrainer(options, TextWriter.Null).Run();
                    if (round > 0 || rounds == 1) times[bf16].Add(result.TrainingTime.TotalSeconds / result.Steps);
                }
            }
            double f32 = Median(times[false]), bf = Median(times[true]);
            return new TrainingStepTiming(batch, stepsPerRound, rounds, f32, bf, f32 / bf);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
