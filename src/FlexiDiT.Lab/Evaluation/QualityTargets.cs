namespace FlexiDiT.Evaluation;

/// <summary>
/// The shipped model's quality-for-compute targets, checked on a plan table: full compute draws the asked-for
/// class and colour, and a cheaper plan keeps full compute's quality (Fréchet distance within a ratio,
/// accuracies within a margin) while its wall time falls nearly as much as its FLOPs.
/// </summary>
public sealed record QualityTargets
{
    /// <summary>Class accuracy (classifier) full compute must reach.</summary>
    public double FullClassAccuracy { get; init; } = 0.95;
    /// <summary>Colour accuracy (detector) full compute must reach.</summary>
    public double FullColorAccuracy { get; init; } = 0.95;
    /// <summary>Text-to-image: the accuracy full compute must reach on every attribute a caption names, and on every shape.</summary>
    public double FullAttributeAccuracy { get; init; } = 0.95;
    /// <summary>Text-to-image: held-out phrasings may score at most this much below the training phrasings, on every attribute.</summary>
    public double HeldOutPhrasingMargin { get; init; } = 0.03;
    /// <summary>A matching plan's Fréchet distance may be at most this times full compute's.</summary>
    public double FrechetRatio { get; init; } = 1.05;
    /// <summary>A matching plan's accuracies may be at most this much below full compute's.</summary>
    public double AccuracyMargin { get; init; } = 0.01;
    /// <summary>The FLOPs fraction a matching plan must come in under.</summary>
    public double MatchFlopsFraction { get; init; } = 0.50;
    /// <summary>The FLOPs fraction of the "best cheap plan" that is reported.</summary>
    public double CheapFlopsFraction { get; init; } = 0.35;
    /// <summary>Time saved must be at least this fraction of FLOPs saved.</summary>
    public double TimeToFlopsSaving { get; init; } = 0.9;

    /// <summary>Whether <paramref name="plan"/> keeps <paramref name="full"/>'s quality (slack for measurement noise included).</summary>
    public bool Matches(PlanResult plan, PlanResult full) =>
        plan.FrechetDistance <= full.FrechetDistance * FrechetRatio
        && plan.ClassAccuracy >= full.ClassAccuracy - AccuracyMargin - 1e-9
        && plan.ColorAccuracy >= full.ColorAccuracy - AccuracyMargin - 1e-9;

    /// <summary>The full-compute row of a table.</summary>
    public static PlanResult Full(PlanEvaluation table) =>
        table.Plans.FirstOrDefault(p => p.Name == "full") ?? throw new InvalidDataException("The plan table has no 'full' plan.");

    /// <summary>The cheapest plan (by FLOPs) that keeps full compute's quality; <c>full</c> itself if none does.</summary>
    public PlanResult CheapestMatching(PlanEvaluation table)
    {
        var full = Full(table);
        return table.Plans.Where(p => Matches(p, full)).OrderBy(p => p.FlopsPerImage).FirstOrDefault() ?? full;
    }

    /// <summary>
    /// The best plan under the cheap FLOPs bound: the most accurate (class) of those whose Fréchet distance is within
    /// the ratio of full compute's, else the lowest Fréchet distance. Accuracy comes first because the Fréchet
    /// distance alone prefers plans that guide less (they desaturate towards the data) even when they draw the
    /// wrong class.
    /// </summary>
    public PlanResult? BestCheap(PlanEvaluation table, PlanResult full)
    {
        var cheap = table.Plans.Where(p => p.FlopsFraction <= CheapFlopsFraction).ToList();
        return cheap.Where(p => p.FrechetDistance <= full.FrechetDistance * FrechetRatio)
                   .OrderByDescending(p => p.ClassAccuracy).ThenBy(p => p.FrechetDistance).FirstOrDefault()
               ?? cheap.OrderBy(p => p.FrechetDistance).FirstOrDefault();
    }

    /// <summary>Checks every target on <paramref name="table"/>.</summary>
    public TargetCheck Check(PlanEvaluation table)
    {
        var full = Full(table);
        var matching = table.Plans.Where(p => p.Name != full.Name && p.FlopsFraction <= MatchFlopsFraction && Matches(p, full))
            .OrderBy(p => p.FlopsPerImage).FirstOrDefault();
        // The statistical reading of the margin: the paired interval of the class difference reaches zero.
        var paired = table.Plans.Where(p => p.Name != full.Name && p.FlopsFraction <= MatchFlopsFraction
            && p.FrechetDistance <= full.FrechetDistance * FrechetRatio && p.ClassVsFull is not null).ToList();
        var notWorse = paired.Where(p => p.ClassVsFull!.High >= 0 && p.ColorAccuracy >= full.ColorAccuracy - AccuracyMargin - 1e-9)
            .OrderBy(p => p.FlopsPerImage).FirstOrDefault();
        var cheap = BestCheap(table, full);
        double? TimeRatio(PlanResult? p) => p is null || p.FlopsFraction >= 1 ? null : (1 - p.MsPerImage / full.MsPerImage) / (1 - p.FlopsFraction);
        return new TargetCheck(
            full.ClassAccuracy >= FullClassAccuracy, full.ColorAccuracy >= FullColorAccuracy,
            matching, TimeRatio(matching), TimeRatio(matching) >= TimeToFlopsSaving,
            cheap, cheap is not null && Matches(cheap, full), notWorse, paired.Count, this);
    }
}
