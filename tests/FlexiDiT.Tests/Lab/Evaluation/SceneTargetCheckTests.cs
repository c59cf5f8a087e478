using FlexiDiT.Evaluation;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Sampling;

namespace FlexiDiT.Tests.Evaluation;

/// <summary>Issue 21's text-to-image targets read off a plan table: full compute, the cheap plan, its time, the held-out phrasings.</summary>
public sealed class SceneTargetCheckTests
{
    private const int N = 200;

    // A row whose every attribute has `right` of N images right (the first `right` images), at a FLOPs fraction and time.
    private static ScenePlanResult Row(string name, CaptionSplit split, int right, double flops, double ms, double fd = 10, int steps = 50, double fewerSteps = 0)
    {
        string hits = new string('1', right) + new string('0', N - right);
        string[] keys = ["shape", "color", "size", "position", ScenePlanEvaluator.AllKey];
        return new ScenePlanResult
        {
            Name = name, Description = name, Spec = new PlanSpec { Name = name, Respacing = steps.ToString() }, Split = split, Steps = steps,
            FlopsFraction = flops, FlopsPerImage = flops * 1e9, FewerStepsSaving = fewerSteps, FrechetDistance = fd, MsPerImage = ms,
            Accuracy = keys[..^1].ToDictionary(k => k, _ => right / (double)N), Named = keys[..^1].ToDictionary(k => k, _ => N),
            AllNamedRight = right / (double)N, ShapeAccuracyByShape = new Dictionary<string, double> { ["cross"] = right / (double)N },
            Hits = keys.ToDictionary(k => k, _ => hits),
        };
    }

    private static ScenePlanTable Table(params ScenePlanResult[] rows) =>
        new ScenePlanTable { Model = "m", ImagesPerPlan = N, JudgeAccuracyOnReal = new Dictionary<string, double>(), Plans = rows }.WithComparisons();

    [Fact]
    public void A_weak_plan_within_a_point_at_half_the_flops_and_time_meets_every_target()
    {
        var check = Table(
            Row("full", CaptionSplit.Training, 196, 1.0, 100),
            Row("weak50", CaptionSplit.Training, 195, 0.5, 52, fd: 10.4),
            Row("steps-half", CaptionSplit.Training, 150, 0.5, 50, steps: 25, fewerSteps: 0.5),
            Row("full", CaptionSplit.HeldOut, 192, 1.0, 100)).Check(new QualityTargets());
        Assert.True(check.AllMet, check.Markdown());
        Assert.Equal("weak50", check.Matching!.Name);   // fewer steps is a separate saving, never the FlexiDiT match
        Assert.Equal(0.96, check.Matching.TimeSavedPerFlopsSaved!.Value, 6);
        Assert.Equal(-0.005, check.Matching.VsFull!["shape"].Difference, 6);
        Assert.Equal(-0.02, check.HeldOutFull!.HeldOutGap!["shape"].Difference, 6);
    }

    [Fact]
    public void Each_missed_target_is_reported_as_missed()
    {
        var check = Table(
            Row("full", CaptionSplit.Training, 180, 1.0, 100),
            Row("weak50", CaptionSplit.Training, 170, 0.5, 60),
            Row("weak70", CaptionSplit.Training, 180, 0.4, 90, fd: 11),
            Row("full", CaptionSplit.HeldOut, 170, 1.0, 100)).Check(new QualityTargets());
        Assert.False(check.FullMet);
        Assert.Contains("shape cross 90.0 %", check.FullMisses);
        Assert.Null(check.Matching);   // weak50 drops 5 points, weak70's FD is 10 % worse
        Assert.Equal(2, check.Candidates);
        Assert.False(check.HeldOutMet);
        Assert.Contains("**missed**", check.Markdown());
        Assert.False(check.AllMet);
    }
}
