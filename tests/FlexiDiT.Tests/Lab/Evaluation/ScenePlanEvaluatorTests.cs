using FlexiDiT.Checkpoints;
using FlexiDiT.Evaluation;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Sampling;
using FlexiDiT.Tests.Training;
using FlexiDiT.TextEncoders;

namespace FlexiDiT.Tests.Evaluation;

/// <summary>
/// The text-to-image plan evaluation on a tiny random FlexiDiT and a barely trained judge: the structure of the table and
/// its pairing (same captions, seeds and named attributes in every plan and split), not quality.
/// </summary>
public sealed class ScenePlanEvaluatorTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-scene-eval").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static PlanSpec Plan(string name) => PlanSweep.Default(steps: 4).Single(p => p.Name == name);

    [Fact]
    public void Plans_are_paired_image_by_image_and_their_savings_are_split_into_flexidit_and_fewer_steps()
    {
        string checkpoint = TinyTextToImage.Write(Path.Combine(dir, "flexi.safetensors"), weakPatch: 4);
        using var model = TextToImageCheckpoint.Load(checkpoint);
        using var encoder = SceneTextEncoder.Load(checkpoint);
        using var judge = SceneClassifier.Train(steps: 2, batch: 8, seed: 1);
        var evaluator = new ScenePlanEvaluator(model.Denoiser, encoder, judge, imagesPerPlan: 6, batchSize: 4, seed: 5);
        long fullFlops = SamplingRun.PlanFlops(model.Denoiser.Geometry, Plan("full").Build(model.Denoiser.Geometry), 1);

        var rows = new List<ScenePlanResult>();
        foreach (var split in new[] { CaptionSplit.Training, CaptionSplit.HeldOut })
        {
            foreach (var name in new[] { "full", "weak50", "steps-half" })
            {
                var (row, samples) = evaluator.Evaluate(Plan(name), split, fullFlops);
                Assert.Equal([6L, 3, 32, 32], samples.shape);
                samples.Dispose();
                rows.Add(row);
            }
        }
        var (again, againSamples) = evaluator.Evaluate(Plan("weak50"), CaptionSplit.Training, fullFlops);
        againSamples.Dispose();
        Assert.Equal(rows[1].Hits, again.Hits);   // same captions and seeds: the same images, the same verdicts
        Assert.Equal(rows[1].FrechetDistance, again.FrechetDistance);

        var full = rows[0];
        Assert.Equal(1.0, full.FlopsFraction, 6);
        var weak = rows[1];
        Assert.InRange(weak.FlopsFraction, 0.1, 0.9);
        Assert.Equal(1 - weak.FlopsFraction, weak.FlexiDiTSaving, 6);
        Assert.Equal(0, weak.FewerStepsSaving);
        var fewer = rows[2];
        Assert.Equal(0, fewer.FlexiDiTSaving);
        // Half the steps, but the captions' keys and values are computed once per run either way: a little under half saved.
        var geometry = model.Denoiser.Geometry;
        Assert.Equal(1 - ((double)SamplingRun.PlanFlops(geometry, Plan("steps-half").Build(geometry), 1) / fullFlops), fewer.FewerStepsSaving, 6);
        Assert.InRange(fewer.FewerStepsSaving, 0.45, 0.4999);
        // Every row judges the same named attributes of the same scenes, whatever the plan or phrasing.
        Assert.All(rows, r => Assert.Equal(full.Named, r.Named));
        Assert.All(rows, r => Assert.All(r.Hits, kv => Assert.Equal(kv.Key == ScenePlanEvaluator.AllKey ? 6 : full.Named[kv.Key], kv.Value.Length)));
        Assert.True(full.Named.Values.Sum() >= 6, "every caption names at least one attribute");
        Assert.All(full.ShapeAccuracyByShape.Values, v => Assert.InRange(v, 0, 1));
        Assert.InRange(evaluator.JudgeOnReal.Count, 1, int.MaxValue);

        var table = new ScenePlanTable { Model = "tiny", ImagesPerPlan = 6, JudgeAccuracyOnReal = new Dictionary<string, double>(), Plans = rows }.WithComparisons();
        var compared = table.Plans;
        Assert.Null(compared[0].VsFull);
        Assert.Equal(full.Hits.Keys.Order(), compared[1].VsFull!.Keys.Order());
        Assert.Null(compared[1].HeldOutGap);
        Assert.Equal(full.Hits.Keys.Order(), compared[3].HeldOutGap!.Keys.Order());
        Assert.NotNull(compared[4].VsFull);   // held-out weak50 against held-out full
        Assert.NotNull(compared[1].TimeSavedPerFlopsSaved);
    }
}
