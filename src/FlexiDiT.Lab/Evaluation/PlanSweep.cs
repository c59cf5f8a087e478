using FlexiDiT.Diffusion;
using FlexiDiT.Sampling;

namespace FlexiDiT.Evaluation;

/// <summary>
/// The plans <c>flexidit eval</c> measures: full compute; weak-first at several T_weak with and without
/// the weak-conditional guidance trick; the paper's x/y schedules with a weak unconditional branch; guidance
/// skipped on the last steps (<c>-ugN</c>); fewer steps (DDPM and DDIM); and their combinations.
/// </summary>
public static class PlanSweep
{
    /// <summary>
    /// The sweep around a full-compute plan of <paramref name="steps"/> DDPM steps at guidance <paramref name="guidance"/>;
    /// pixel-space models (Shapes) clip the predicted x₀ to the data range.
    /// </summary>
    public static IReadOnlyList<PlanSpec> Default(int steps = 50, double guidance = 4.0, bool clipDenoised = true)
    {
        string n = steps.ToString(), half = (steps / 2).ToString(), third = (steps / 3).ToString();
        PlanSpec P(string name, string respacing, int? x, int? y, bool weakGuidance = false, SolverKind solver = SolverKind.Ddpm, int unguidedLast = 0, VarianceKind? variance = null) =>
            new() { Name = name, Respacing = respacing, PowerfulCondSteps = x, PowerfulGuidanceSteps = y, WeakGuidance = weakGuidance, Solver = solver, GuidanceScale = guidance, ClipDenoised = clipDenoised, UnguidedLastSteps = unguidedLast, Variance = variance };
        int Pct(double fraction) => (int)Math.Round(steps * fraction);
        int HalfPct(double fraction) => (int)Math.Round(steps / 2 * fraction);
        int ThirdPct(double fraction) => (int)Math.Round(steps / 3 * fraction);
        return
        [
            P("full", n, null, null),
            P("weak30", n, Pct(0.7), Pct(0.7)),
            P("weak50", n, Pct(0.5), Pct(0.5)),
            P("weak70", n, Pct(0.3), Pct(0.3)),
            P("weak50-g0", n, Pct(0.5), 0),
            P("weak50-g0-wg", n, Pct(0.5), 0, weakGuidance: true),
            P("weak30-g0-wg", n, Pct(0.7), 0, weakGuidance: true),
            P("weak70-g0-wg", n, Pct(0.3), 0, weakGuidance: true),
            P("weak30-g0", n, Pct(0.7), 0),
            P("weak40-g10", n, Pct(0.6), Pct(0.1)),
            P("full-ug10", n, null, null, unguidedLast: Pct(0.1)),
            P("full-ug30", n, null, null, unguidedLast: Pct(0.3)),
            P("full-fixed-small", n, null, null, variance: VarianceKind.FixedSmall),
            P("full-fixed-large", n, null, null, variance: VarianceKind.FixedLarge),
            P("steps-half", half, null, null),
            P("ddim-half", half, null, null, solver: SolverKind.Ddim),
            P("steps-half-weak30", half, HalfPct(0.7), HalfPct(0.7)),
            P("steps-half-weak40", half, HalfPct(0.6), HalfPct(0.6)),
            P("steps-half-weak50", half, HalfPct(0.5), HalfPct(0.5)),
            P("steps-third", third, null, null),
            P("steps-third-weak30", third, ThirdPct(0.7), ThirdPct(0.7)),
            P("steps-half-weak50-g0-wg", half, HalfPct(0.5), 0, weakGuidance: true),
            P("ddim-half-weak50-g0-wg", half, HalfPct(0.5), 0, weakGuidance: true, solver: SolverKind.Ddim),
        ];
    }
}
