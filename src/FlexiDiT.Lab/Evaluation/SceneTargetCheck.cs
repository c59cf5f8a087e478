using System.Globalization;

namespace FlexiDiT.Evaluation;

/// <summary>What <see cref="ScenePlanTable.Check"/> found against issue 21's text-to-image targets.</summary>
/// <param name="Full">Full compute on the training phrasings (null: not in the table).</param>
/// <param name="Matching">
/// The cheapest plan at the same steps and guidance, at most <see cref="QualityTargets.MatchFlopsFraction"/> of the FLOPs,
/// whose Fréchet distance is within the ratio of full compute's and whose every attribute is within the margin (null: none).
/// </param>
/// <param name="Candidates">How many plans at the same steps were under the FLOPs bound.</param>
/// <param name="HeldOutFull">Full compute on the held-out phrasings (null: that split was not evaluated).</param>
/// <param name="Targets">The targets checked.</param>
public sealed record SceneTargetCheck(ScenePlanResult? Full, ScenePlanResult? Matching, int Candidates, ScenePlanResult? HeldOutFull, QualityTargets Targets)
{
    /// <summary>Full compute's attributes and shapes below the target, e.g. "shape cross 91.0 %".</summary>
    public IReadOnlyList<string> FullMisses => Full is null ? [] :
        Full.Accuracy.Where(kv => kv.Value < Targets.FullAttributeAccuracy).Select(kv => Say(kv.Key, kv.Value))
            .Concat(Full.ShapeAccuracyByShape.Where(kv => kv.Value < Targets.FullAttributeAccuracy).Select(kv => Say("shape " + kv.Key, kv.Value)))
            .ToList();

    /// <summary>Full compute gets every attribute and every shape right often enough.</summary>
    public bool FullMet => Full is not null && FullMisses.Count == 0;

    /// <summary>The matching plan's time saved reaches the share of its FLOPs saved.</summary>
    public bool TimeMet => Matching?.TimeSavedPerFlopsSaved >= Targets.TimeToFlopsSaving;

    /// <summary>Held-out phrasings score within the margin of the training phrasings on every attribute (full compute).</summary>
    public bool HeldOutMet => HeldOutFull?.HeldOutGap is { } gap && gap.Where(kv => kv.Key != ScenePlanEvaluator.AllKey).All(kv => kv.Value.Difference >= -Targets.HeldOutPhrasingMargin - 1e-9);

    /// <summary>Every target met.</summary>
    public bool AllMet => FullMet && Matching is not null && TimeMet && HeldOutMet;

    /// <summary>A Markdown list, one line per target.</summary>
    public string Markdown()
    {
        static string Mark(bool ok) => ok ? "met" : "**missed**";
        var t = Targets;
        var lines = new List<string>
        {
            Full is null
                ? "- Full compute: not evaluated on the training phrasings."
                : $"- Full compute ≥ {t.FullAttributeAccuracy:P0} on every attribute and every shape: {Mark(FullMet)}" + (FullMet ? "." : $" ({string.Join(", ", FullMisses)})."),
            Matching is { } m
                ? $"- Cheapest plan at the same steps and ≤ {t.MatchFlopsFraction:P0} of the FLOPs with FD ≤ {t.FrechetRatio:0.##}× full and every attribute within {t.AccuracyMargin * 100:0.#} point: `{m.Name}` at {m.FlopsFraction:P1} (FD {m.FrechetDistance:F2} vs {Full!.FrechetDistance:F2}; paired vs full: {Describe(m.VsFull)}): met."
                : $"- A plan at the same steps and ≤ {t.MatchFlopsFraction:P0} of the FLOPs with FD ≤ {t.FrechetRatio:0.##}× full and every attribute within {t.AccuracyMargin * 100:0.#} point: **missed** ({Candidates} candidates in this table).",
            Matching is not null
                ? $"- Its time saved / FLOPs saved = {Matching.TimeSavedPerFlopsSaved:F2} (target ≥ {t.TimeToFlopsSaving:0.##}): {Mark(TimeMet)}."
                : $"- Time saved ≥ {t.TimeToFlopsSaving:0.##} × FLOPs saved: not applicable (no matching plan).",
            HeldOutFull is null
                ? "- Held-out phrasings: not evaluated (--split held-out or both)."
                : $"- Held-out phrasings within {t.HeldOutPhrasingMargin * 100:0.#} points of the training phrasings on every attribute (full compute, paired): {Mark(HeldOutMet)} ({Describe(HeldOutFull.HeldOutGap)}).",
        };
        return string.Join(Environment.NewLine, lines);
    }

    private static string Say(string what, double value) => string.Create(CultureInfo.InvariantCulture, $"{what} {value:P1}");

    private static string Describe(IReadOnlyDictionary<string, PairedDifference>? differences) =>
        differences is null ? "no paired comparison" : string.Join("; ", differences.Select(kv => $"{kv.Key} {kv.Value.Describe()}"));
}
