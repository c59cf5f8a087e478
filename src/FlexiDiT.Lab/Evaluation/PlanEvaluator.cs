using FlexiDiT.Data;
using FlexiDiT.Models;
using FlexiDiT.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Evaluation;

/// <summary>
/// Measures plans on a Shapes model: every plan samples the same classes from the same seeds (<see cref="PairedPlanSampler"/>), and the
/// images are scored by the classifier (class, shape, colour, Fréchet distance to real images) and by the
/// colour detector. Wall time is measured per plan in the same process, so ratios are comparable.
/// </summary>
public sealed class PlanEvaluator(DiT model, ShapesClassifier classifier, int imagesPerPlan, int batchSize, long seed, TextWriter? log = null)
{
    private readonly PairedPlanSampler sampler = new(model, imagesPerPlan, batchSize, seed,
        (start, count) => new ClassCondition(tensor(Labels(model.Config, start, count))));
    private (Tensor Mean, Tensor Covariance)? realStatistics;
    private Dictionary<string, double>? judgeOnReal;

    /// <summary>Images per plan.</summary>
    public int ImagesPerPlan => imagesPerPlan;

    /// <summary>The classifier's shape accuracy on the real reference images, by shape (measured with the first plan).</summary>
    public IReadOnlyDictionary<string, double>? JudgeShapeAccuracyOnReal => judgeOnReal;

    /// <summary>Evaluates one plan; also returns its samples (N, 3, 32, 32) for the grid.</summary>
    public (PlanResult Result, Tensor Samples) Evaluate(PlanSpec spec, long fullComputeFlopsPerImage)
    {
        var config = model.Config;
        var plan = spec.Build(config);
        var (samples, flops, sameStepsFull, elapsed) = sampler.Sample(plan);
        long[] wanted = Labels(config, 0, imagesPerPlan);
        var scores = Score(samples, wanted);
        double flopsPerImage = flops / (double)imagesPerPlan;
        var forwards = plan.ForwardsByPatch().ToDictionary(p => p.Key.ToString(), p => p.Value);
        var row = new PlanResult
        {
            Name = spec.Name,
            Description = spec.Describe(),
            Spec = spec,
            Steps = plan.Steps.Count,
            WeakSteps = plan.WeakConditionalSteps(config.PatchSize),
            Forwards = forwards,
            FlopsPerImage = flopsPerImage,
            FlopsFraction = flopsPerImage / fullComputeFlopsPerImage,
            SameStepsFullFlopsPerImage = sameStepsFull / (double)imagesPerPlan,
            FrechetDistance = scores.Frechet,
            ClassAccuracy = scores.Class,
            ShapeAccuracy = scores.Shape,
            ColorAccuracy = scores.DetectorColor,
            ClassifierColorAccuracy = scores.ClassifierColor,
            ClassHits = PairedDifference.Encode(scores.ClassHits),
            ClassAccuracyByShape = ByShape(wanted, scores.ClassHits),
            ShapesSeen = ShapesSeen(wanted, scores.Predicted),
            MsPerImage = elapsed.TotalMilliseconds / imagesPerPlan,
        };
        log?.WriteLine($"{spec.Name,-16} {row.FlopsFraction,6:P0} FLOPs  FD {row.FrechetDistance,7:F3}  class {row.ClassAccuracy,6:P1}  colour {row.ColorAccuracy,6:P1}  {row.MsPerImage,7:F0} ms/img");
        return (row, samples);
    }

    private static Dictionary<string, double> ByShape(long[] wanted, bool[] hits) =>
        Enumerable.Range(0, wanted.Length)
            .GroupBy(i => ShapeOf(wanted[i]))
            .OrderBy(g => g.Key)
            .ToDictionary(g => ShapeName(g.Key), g => g.Count(i => hits[i]) / (double)g.Count());

    private static Dictionary<string, IReadOnlyDictionary<string, int>> ShapesSeen(long[] wanted, long[] predicted) =>
        Enumerable.Range(0, wanted.Length)
            .GroupBy(i => ShapeOf(wanted[i]))
            .OrderBy(g => g.Key)
            .ToDictionary(g => ShapeName(g.Key), g => (IReadOnlyDictionary<string, int>)g
                .GroupBy(i => ShapeOf(predicted[i])).OrderBy(s => s.Key).ToDictionary(s => ShapeName(s.Key), s => s.Count()));

    private static ShapeKind ShapeOf(long classIndex) => (ShapeKind)(classIndex / ShapeColor.Palette.Count);

    private static string ShapeName(ShapeKind shape) => shape.ToString().ToLowerInvariant();

    // The classes cycle: image i asks for class i mod the number of classes, in every plan.
    private static long[] Labels(DiTConfig config, int start, int count) =>
        Enumerable.Range(start, count).Select(i => (long)(i % config.NumClasses)).ToArray();

    /// <summary>Scores images against the classes they were asked for.</summary>
    public (double Frechet, double Class, double Shape, double ClassifierColor, double DetectorColor, bool[] ClassHits, long[] Predicted) Score(Tensor samples, long[] wanted)
    {
        int palette = ShapeColor.Palette.Count;
        Tensor features;
        using (torch.inference_mode()) features = classifier.Features(samples);
        long[] predicted = classifier.PredictFromFeatures(features);
        var (mean, covariance) = RealStatistics();
        var (m, c) = FrechetDistance.Statistics(features);
        double frechet = FrechetDistance.Compute(m, c, mean, covariance);
        float[] pixels = samples.contiguous().data<float>().ToArray();
        int size = (int)samples.shape[2], stride = 3 * size * size;
        int n = wanted.Length, shapeOk = 0, colorOk = 0, detectorOk = 0;
        var classHits = new bool[n];
        for (int i = 0; i < n; i++)
        {
            classHits[i] = predicted[i] == wanted[i];
            if (predicted[i] / palette == wanted[i] / palette) shapeOk++;
            if (predicted[i] % palette == wanted[i] % palette) colorOk++;
            if (ColorDetector.Detect(pixels[(i * stride)..((i + 1) * stride)], size) == wanted[i] % palette) detectorOk++;
        }
        return (frechet, classHits.Count(h => h) / (double)n, shapeOk / (double)n, colorOk / (double)n, detectorOk / (double)n, classHits, predicted);
    }

    /// <summary>Feature statistics of real Shapes images (a held-out seed), computed once.</summary>
    private (Tensor Mean, Tensor Covariance) RealStatistics()
    {
        if (realStatistics is { } cached) return cached;
        const int RealImages = 4000;
        var features = new List<Tensor>();
        var data = new ShapesDataset(seed + 777);
        var (asked, seen) = (new List<long>(), new List<long>());
        using (torch.inference_mode())
        {
            for (int start = 0; start < RealImages; start += 500)
            {
                var (images, labels, _) = data.Batch(start, 500);
                var batchFeatures = classifier.Features(images);
                features.Add(batchFeatures);
                asked.AddRange(labels.data<long>().ToArray());
                seen.AddRange(classifier.PredictFromFeatures(batchFeatures));
            }
        }
        realStatistics = FrechetDistance.Statistics(cat(features.ToArray(), 0));
        judgeOnReal = ByShape([.. asked], asked.Select((a, i) => ShapeOf(a) == ShapeOf(seen[i])).ToArray());
        return realStatistics.Value;
    }
}
