using FlexiDiT.Diffusion;

namespace FlexiDiT.Sampling;

/// <summary>
/// A compute plan: the solver, the respacing (number of steps), the guidance, and for every step which
/// patch size each branch uses. Steps are listed in sampling order (the first is the noisiest).
/// </summary>
public sealed record ComputePlan
{
    /// <summary>A short name (e.g. <c>full</c>, <c>weak60</c>).</summary>
    public required string Name { get; init; }
    /// <summary>Respacing of the 1000-step schedule, e.g. <c>"250"</c> or <c>"ddim50"</c>.</summary>
    public required string Respacing { get; init; }
    /// <summary>The solver.</summary>
    public SolverKind Solver { get; init; } = SolverKind.Ddpm;
    /// <summary>DDIM stochasticity (0 is deterministic).</summary>
    public double Eta { get; init; }
    /// <summary>Classifier-free guidance scale; 1 or less means no guidance (conditional only).</summary>
    public double GuidanceScale { get; init; } = 4.0;
    /// <summary>The official quirk: guide only output channels [0, 3) (needed to reproduce published numbers).</summary>
    public bool GuideFirstThreeChannelsOnly { get; init; }
    /// <summary>Clamp the predicted x₀ to [-1, 1].</summary>
    public bool ClipDenoised { get; init; }
    /// <summary>The reverse-step variance; null: the model's own (learned where it learns sigma, else fixed β).</summary>
    public VarianceKind? Variance { get; init; }
    /// <summary>Per-step compute, in sampling order; its length equals the number of respaced steps.</summary>
    public required IReadOnlyList<StepCompute> Steps { get; init; }

    /// <summary>Whether the plan uses classifier-free guidance.</summary>
    public bool UsesGuidance => GuidanceScale > 1.0;
    /// <summary>Whether <paramref name="step"/> runs the guidance branch.</summary>
    public bool IsGuided(StepCompute step) => UsesGuidance && step.Guided;
    /// <summary>The patch sizes of the forwards one image needs at <paramref name="step"/>: the conditional, then the guidance branch if guided.</summary>
    public IEnumerable<int> ForwardPatches(StepCompute step) => Forwards(step).Select(f => f.Patch);
    /// <summary>
    /// The forwards one image needs at <paramref name="step"/>, each with its patch size and whether it runs on the guidance
    /// condition: the conditional, then the guidance branch if guided (on the condition itself where it is the weak conditional).
    /// </summary>
    public IEnumerable<(int Patch, bool OnGuidanceCondition)> Forwards(StepCompute step) =>
        IsGuided(step) ? [(step.CondPatch, false), (step.GuidancePatch, !step.GuidanceIsWeakConditional)] : [(step.CondPatch, false)];
    /// <summary>Single-image forwards at each patch size over the whole plan (the plan table's convention).</summary>
    public IReadOnlyDictionary<int, int> ForwardsByPatch() =>
        Steps.SelectMany(ForwardPatches).GroupBy(p => p).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Count()).AsReadOnly();
    /// <summary>Steps whose conditional branch is weak (larger than the powerful patch size).</summary>
    public int WeakConditionalSteps(int powerfulPatch) => Steps.Count(s => s.CondPatch != powerfulPatch);

    /// <summary>
    /// The paper's x/y schedule: the powerful patch runs the last <paramref name="powerfulCondSteps"/>
    /// conditional and the last <paramref name="powerfulGuidanceSteps"/> guidance steps; earlier ones run weak.
    /// The last <paramref name="unguidedLastSteps"/> steps skip guidance and its forward (a guidance interval;
    /// it pays off only on models whose class is settled before those steps).
    /// </summary>
    public static ComputePlan WeakFirst(string name, string respacing, int powerfulPatch, int weakPatch,
        int powerfulCondSteps, int powerfulGuidanceSteps, double guidanceScale, bool weakGuidance = false,
        SolverKind solver = SolverKind.Ddpm, bool clipDenoised = false, int unguidedLastSteps = 0)
    {
        int n = Diffusion.Respacing.Timesteps(GaussianDiffusion.TrainingTimesteps, respacing).Length;
        if (powerfulCondSteps < 0 || powerfulCondSteps > n || powerfulGuidanceSteps < 0 || powerfulGuidanceSteps > n)
            throw new ArgumentException($"Plan '{name}': powerful steps {powerfulCondSteps}/{powerfulGuidanceSteps} must lie in [0, {n}].");
        if (unguidedLastSteps < 0 || unguidedLastSteps > n)
            throw new ArgumentException($"Plan '{name}': unguided last steps {unguidedLastSteps} must lie in [0, {n}].");
        var steps = new StepCompute[n];
        for (int i = 0; i < n; i++)
        {
            int remaining = n - i; // this step and the ones after it
            int cond = remaining <= powerfulCondSteps ? powerfulPatch : weakPatch;
            int guide = remaining <= powerfulGuidanceSteps ? powerfulPatch : weakPatch;
            bool weakConditional = weakGuidance && cond == powerfulPatch && guide != powerfulPatch;
            steps[i] = new StepCompute(cond, guide, weakConditional, Guided: remaining > unguidedLastSteps);
        }
        return new ComputePlan { Name = name, Respacing = respacing, Solver = solver, GuidanceScale = guidanceScale, ClipDenoised = clipDenoised, Steps = steps };
    }

    /// <summary>Every step at the powerful patch size.</summary>
    public static ComputePlan Full(string name, string respacing, int patch, double guidanceScale, SolverKind solver = SolverKind.Ddpm)
    {
        int n = Diffusion.Respacing.Timesteps(GaussianDiffusion.TrainingTimesteps, respacing).Length;
        return WeakFirst(name, respacing, patch, patch, n, n, guidanceScale, solver: solver);
    }
}
