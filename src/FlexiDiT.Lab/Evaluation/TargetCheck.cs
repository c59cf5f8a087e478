namespace FlexiDiT.Evaluation;

/// <summary>What <see cref="QualityTargets.Check"/> found.</summary>
/// <param name="FullClassMet">Full compute's class accuracy reaches the target.</param>
/// <param name="FullColorMet">Full compute's colour accuracy (detector) reaches the target.</param>
/// <param name="Matching">The cheapest plan under the FLOPs bound that keeps full quality (null: none).</param>
/// <param name="TimeToFlopsSaving">That plan's time saved divided by its FLOPs saved.</param>
/// <param name="TimeMet">Whether that ratio reaches the target.</param>
/// <param name="BestCheap">The best plan under the cheap FLOPs bound (see <see cref="QualityTargets.BestCheap"/>).</param>
/// <param name="BestCheapMatches">Whether that plan also keeps full quality.</param>
/// <param name="NotSignificantlyWorse">
/// Informational, not a target: the cheapest plan under the FLOPs bound within the FD ratio and colour margin whose class
/// accuracy is not significantly below full compute's (<see cref="PlanResult.ClassVsFull"/>'s interval reaches zero).
/// </param>
/// <param name="PairedCandidates">How many plans under the FLOPs bound and within the FD ratio had a paired comparison.</param>
/// <param name="Targets">The targets checked.</param>
public sealed record TargetCheck(bool FullClassMet, bool FullColorMet, PlanResult? Matching, double? TimeToFlopsSaving, bool TimeMet,
    PlanResult? BestCheap, bool BestCheapMatches, PlanResult? NotSignificantlyWorse, int PairedCandidates, QualityTargets Targets)
{
    /// <summary>Every target met.</summary>
    public bool AllMet => FullClassMet && FullColorMet && Matching is not null && TimeMet;

    /// <summary>A Markdown list, one line per target.</summary>
    public string Markdown()
    {
        static string Mark(bool ok) => ok ? "met" : "**missed**";
        var t = Targets;
        var lines = new List<string>
        {
            $"- Full compute class accuracy ≥ {t.FullClassAccuracy:P0} and colour accuracy (detector) ≥ {t.FullColorAccuracy:P0}: class {Mark(FullClassMet)}, colour {Mark(FullColorMet)}.",
            Matching is { } m
                ? $"- Cheapest plan at ≤ {t.MatchFlopsFraction:P0} of the FLOPs with FD ≤ {t.FrechetRatio:0.##}× full and accuracies within {t.AccuracyMargin * 100:0.#} point: `{m.Name}` at {m.FlopsFraction:P1} of the FLOPs (FD {m.FrechetDistance:F1}, class {m.ClassAccuracy:P1}, colour {m.ColorAccuracy:P1}): met."
                : $"- A plan at ≤ {t.MatchFlopsFraction:P0} of the FLOPs with FD ≤ {t.FrechetRatio:0.##}× full and accuracies within {t.AccuracyMargin * 100:0.#} point: **missed** (none in this table).",
            Matching is not null
                ? $"- Its time saved / FLOPs saved = {TimeToFlopsSaving:F2} (target ≥ {t.TimeToFlopsSaving:0.##}): {Mark(TimeMet)}."
                : $"- Time saved ≥ {t.TimeToFlopsSaving:0.##} × FLOPs saved: not applicable (no matching plan).",
            BestCheap is { } c
                ? $"- Best plan at ≤ {t.CheapFlopsFraction:P0} of the FLOPs (most accurate with FD ≤ {t.FrechetRatio:0.##}× full, else lowest FD): `{c.Name}` at {c.FlopsFraction:P1} (FD {c.FrechetDistance:F1}, class {c.ClassAccuracy:P1}, colour {c.ColorAccuracy:P1}); {(BestCheapMatches ? "keeps" : "does not keep")} full compute's quality."
                : $"- No plan at ≤ {t.CheapFlopsFraction:P0} of the FLOPs in this table.",
            NotSignificantlyWorse is { ClassVsFull: { } d } w
                ? $"- For the noise (not a target): the cheapest plan at ≤ {t.MatchFlopsFraction:P0} of the FLOPs within the FD and colour bounds whose class accuracy is not significantly below full compute's (paired 95 % interval reaches 0) is `{w.Name}` at {w.FlopsFraction:P1}: {d.Describe()}."
                : PairedCandidates == 0
                    ? $"- For the noise (not a target): no plan at ≤ {t.MatchFlopsFraction:P0} of the FLOPs within the FD bound has per-image hits to compare with full compute's."
                    : $"- For the noise (not a target): all {PairedCandidates} plans at ≤ {t.MatchFlopsFraction:P0} of the FLOPs within the FD bound are significantly below full compute's class accuracy (paired 95 % interval).",
        };
        return string.Join(Environment.NewLine, lines);
    }
}
