using FlexiDiT.Data.Scenes;
using FlexiDiT.Flops;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Sampling;
using FlexiDiT.TextEncoders;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Evaluation;

/// <summary>
/// Measures plans on a text-to-image scenes model. Image i of every plan is drawn for the caption of scene i of the
/// seed's <see cref="SceneDataset"/> from the same noise (<see cref="PairedPlanSampler"/>), so plans compare image by
/// image. The <see cref="SceneClassifier"/> judges whether each image shows the attributes its caption names, and the
/// Fréchet distance of its features to real scenes'. A scene is the same in both caption splits (only the phrasing
/// differs), so a plan's held-out row pairs with its training row too.
/// </summary>
public sealed class ScenePlanEvaluator
{
    private const int RealImages = 2000;
    private const long RealSeedOffset = 777;
    private static readonly SceneAttribute[] Attributes = Enum.GetValues<SceneAttribute>();
    private readonly IDenoiser model;
    private readonly ITextEncoder textEncoder;
    private readonly SceneClassifier classifier;
    private readonly int batchSize;
    private readonly long seed;
    private readonly TextWriter? log;
    private readonly Dictionary<CaptionSplit, (PairedPlanSampler Sampler, SceneRequest[] Requests)> splits = new();
    private (Tensor Mean, Tensor Covariance)? realStatistics;
    private SceneAccuracy? judgeOnReal;

    /// <summary>Sets up the evaluation; nothing is sampled until <see cref="Evaluate"/>.</summary>
    /// <param name="model">The denoiser (its weak patch size, if any, is the one weak plans use).</param>
    /// <param name="textEncoder">The caption encoder the model was trained with.</param>
    /// <param name="classifier">The judge.</param>
    /// <param name="imagesPerPlan">Images per plan and split.</param>
    /// <param name="batchSize">Images sampled together.</param>
    /// <param name="seed">Seed of the scenes and of the noise.</param>
    /// <param name="log">One line per plan, if given.</param>
    public ScenePlanEvaluator(IDenoiser model, ITextEncoder textEncoder, SceneClassifier classifier, int imagesPerPlan, int batchSize, long seed, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(textEncoder);
        ArgumentNullException.ThrowIfNull(classifier);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(imagesPerPlan);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        this.model = model;
        this.textEncoder = textEncoder;
        this.classifier = classifier;
        this.batchSize = batchSize;
        this.seed = seed;
        this.log = log;
        ImagesPerPlan = imagesPerPlan;
    }

    /// <summary>Images per plan and split.</summary>
    public int ImagesPerPlan { get; }

    /// <summary>The classifier's accuracy on real scenes (those the Fréchet distance compares with): how far its verdicts can be trusted.</summary>
    public SceneAccuracy JudgeOnReal => judgeOnReal ??= classifier.Accuracy(seed + RealSeedOffset, RealImages);

    /// <summary>Evaluates one plan on the captions of <paramref name="split"/>; also returns its images for the grid (the caller disposes them).</summary>
    /// <param name="spec">The plan.</param>
    /// <param name="split">Which phrasings the captions use.</param>
    /// <param name="fullComputeFlopsPerImage">FLOPs per image of the full-compute plan (the reference of the FLOPs fraction and the fewer-steps saving).</param>
    public (ScenePlanResult Result, Tensor Samples) Evaluate(PlanSpec spec, CaptionSplit split, long fullComputeFlopsPerImage)
    {
        ArgumentNullException.ThrowIfNull(spec);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(fullComputeFlopsPerImage);
        if (!splits.TryGetValue(split, out var setup)) splits[split] = setup = Captioned(split);
        var plan = spec.Build(model.Geometry);
        var (samples, flops, sameStepsFull, elapsed) = setup.Sampler.Sample(plan);
        Tensor features;
        using (torch.inference_mode()) features = classifier.Features(samples);
        var seen = classifier.PredictFromFeatures(features);
        var (mean, covariance) = FrechetDistance.Statistics(features);
        var (realMean, realCovariance) = RealStatistics();
        var requests = setup.Requests;
        var hits = new Dictionary<string, string>();
        var accuracy = new Dictionary<string, double>();
        var named = new Dictionary<string, int>();
        foreach (var attribute in Attributes)
        {
            var asked = Enumerable.Range(0, requests.Length).Where(i => requests[i][attribute] is not null).ToArray();
            named[Name(attribute)] = asked.Length;
            if (asked.Length == 0) continue;
            var right = asked.Select(i => seen[i][attribute] == requests[i][attribute]).ToArray();
            hits[Name(attribute)] = PairedDifference.Encode(right);
            accuracy[Name(attribute)] = right.Count(h => h) / (double)right.Length;
        }
        var allRight = requests.Select((r, i) => r.IsMetBy(seen[i])).ToArray();
        hits[AllKey] = PairedDifference.Encode(allRight);
        var byShape = Enumerable.Range(0, requests.Length).Where(i => requests[i].Shape is not null)
            .GroupBy(i => requests[i].Shape!.Value).OrderBy(g => g.Key)
            .ToDictionary(g => g.Key.ToString().ToLowerInvariant(), g => g.Count(i => seen[i].Shape == g.Key) / (double)g.Count());
        var savings = ComputeSavings.Of(flops, sameStepsFull, fullComputeFlopsPerImage * (long)ImagesPerPlan);
        double flopsPerImage = flops / (double)ImagesPerPlan;
        var row = new ScenePlanResult
        {
            Name = spec.Name,
            Description = spec.Describe(),
            Spec = spec,
            Split = split,
            Steps = plan.Steps.Count,
            WeakSteps = plan.WeakConditionalSteps(model.Geometry.PatchSize),
            FlopsPerImage = flopsPerImage,
            FlopsFraction = flopsPerImage / fullComputeFlopsPerImage,
            FlexiDiTSaving = savings.FlexiDiTFraction,
            FewerStepsSaving = savings.StepsFraction,
            FrechetDistance = FrechetDistance.Compute(mean, covariance, realMean, realCovariance),
            Accuracy = accuracy,
            Named = named,
            AllNamedRight = allRight.Count(h => h) / (double)allRight.Length,
            ShapeAccuracyByShape = byShape,
            Hits = hits,
            MsPerImage = elapsed.TotalMilliseconds / ImagesPerPlan,
        };
        log?.WriteLine($"{spec.Name,-12} {SplitName(split),-9} {row.FlopsFraction,6:P0} FLOPs  FD {row.FrechetDistance,7:F3}  " +
            string.Join("  ", accuracy.Select(kv => $"{kv.Key} {kv.Value:P1}")) + $"  {row.MsPerImage,7:F0} ms/img");
        return (row, samples);
    }

    /// <summary>The key of the every-named-attribute-right hits and comparisons.</summary>
    public const string AllKey = "all";

    /// <summary>An attribute's key in the result's dictionaries ("shape", "color", ...).</summary>
    public static string Name(SceneAttribute attribute) => attribute.ToString().ToLowerInvariant();

    /// <summary>A split as the CLI and tables write it ("training", "held-out").</summary>
    public static string SplitName(CaptionSplit split) => split == CaptionSplit.HeldOut ? "held-out" : "training";

    // Image i of a split is drawn for the caption of scene i phrased in that split; the request says what it names.
    private (PairedPlanSampler Sampler, SceneRequest[] Requests) Captioned(CaptionSplit split)
    {
        var scenes = new SceneDataset(seed);
        var samples = Enumerable.Range(0, ImagesPerPlan).Select(i => scenes.Sample(i, split)).ToArray();
        var captions = samples.Select(s => s.Caption).ToArray();
        var sampler = new PairedPlanSampler(model, ImagesPerPlan, batchSize, seed, (start, count) => textEncoder.Encode(captions[start..(start + count)]));
        return (sampler, samples.Select(s => s.Request).ToArray());
    }

    // Feature statistics of real scenes of a seed the sampled captions do not use, computed once.
    private (Tensor Mean, Tensor Covariance) RealStatistics()
    {
        if (realStatistics is { } cached) return cached;
        var data = new SceneDataset(seed + RealSeedOffset);
        var features = new List<Tensor>();
        using (torch.inference_mode())
        {
            for (int start = 0; start < RealImages; start += 500)
            {
                var batch = data.Batch(start, 500);
                features.Add(classifier.Features(batch.Images));
                batch.Images.Dispose();
            }
        }
        var statistics = FrechetDistance.Statistics(cat(features.ToArray(), 0));
        statistics.Mean.DetachFromDisposeScope();
        statistics.Covariance.DetachFromDisposeScope();
        realStatistics = statistics;
        return statistics;
    }
}
