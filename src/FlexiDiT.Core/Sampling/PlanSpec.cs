using System.Text.Json.Serialization;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;

namespace FlexiDiT.Sampling;

/// <summary>
/// A compute plan by its parameters (what plan tables and policies store): the steps, the solver, the
/// guidance and the x/y schedule — the powerful patch runs the last <see cref="PowerfulCondSteps"/>
/// conditional and last <see cref="PowerfulGuidanceSteps"/> guidance steps (null: all of them).
/// </summary>
public sealed record PlanSpec
{
    /// <summary>Name used by the CLI (<c>--mode</c>), the generator and the policies.</summary>
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Respacing, e.g. <c>"50"</c> or <c>"ddim25"</c>.</summary>
    [JsonPropertyName("respacing")] public required string Respacing { get; init; }
    /// <summary>The solver.</summary>
    [JsonPropertyName("solver")] [JsonConverter(typeof(JsonStringEnumConverter))] public SolverKind Solver { get; init; } = SolverKind.Ddpm;
    /// <summary>Guidance scale.</summary>
    [JsonPropertyName("guidanceScale")] public double GuidanceScale { get; init; } = 4.0;
    /// <summary>Powerful conditional steps at the end (null: all).</summary>
    [JsonPropertyName("powerfulCondSteps")] public int? PowerfulCondSteps { get; init; }
    /// <summary>Powerful guidance steps at the end (null: all).</summary>
    [JsonPropertyName("powerfulGuidanceSteps")] public int? PowerfulGuidanceSteps { get; init; }
    /// <summary>Use the weak conditional prediction as the guidance signal where the guidance branch is weak.</summary>
    [JsonPropertyName("weakGuidance")] public bool WeakGuidance { get; init; }
    /// <summary>Guide only the first three channels (the official DiT quirk).</summary>
    [JsonPropertyName("guideFirstThreeChannelsOnly")] public bool GuideFirstThreeChannelsOnly { get; init; }

    /// <summary>The last steps run without guidance, conditional branch only (0: every step guided): a guidance
    /// interval in the sense of Kynkäänniemi et al. 2024, which saves those steps' guidance forwards where the
    /// class is already settled (on the Shapes model it is not at t ≈ 300: measure before using it).</summary>
    [JsonPropertyName("unguidedLastSteps")] public int UnguidedLastSteps { get; init; }

    /// <summary>Clamp the predicted x₀ to [-1, 1] at every step: right for pixel-space models, whose data lies there
    /// (the official DiT samples latents without it).</summary>
    [JsonPropertyName("clipDenoised")] public bool ClipDenoised { get; init; }

    /// <summary>The reverse-step variance (null: the model's own, learned where it learns sigma). A fixed one on a
    /// learned-sigma model tests whether the variance head helps: improved-diffusion found learned variances matter
    /// most with few steps.</summary>
    [JsonPropertyName("variance")] [JsonConverter(typeof(JsonStringEnumConverter))] public VarianceKind? Variance { get; init; }

    /// <summary>Number of sampling steps.</summary>
    [JsonIgnore] public int Steps => Diffusion.Respacing.Timesteps(GaussianDiffusion.TrainingTimesteps, Respacing).Length;

    /// <summary>The x/y label of the paper (e.g. <c>30/0</c>).</summary>
    [JsonIgnore] public string Schedule => $"{PowerfulCondSteps ?? Steps}/{PowerfulGuidanceSteps ?? Steps}";

    /// <summary>A one-line description.</summary>
    public string Describe() =>
        $"{Steps} {(Solver == SolverKind.DpmSolverPlusPlus ? "DPM-Solver++" : Solver.ToString().ToUpperInvariant())} steps, powerful {Schedule}{(WeakGuidance ? " + weak-cond guidance" : "")}, cfg {GuidanceScale}{(UnguidedLastSteps > 0 ? $" (last {UnguidedLastSteps} unguided)" : "")}{(ClipDenoised ? ", x0 clipped" : "")}{(Variance is { } v ? $", {v} variance" : "")}";

    /// <summary>The plan for a model (the weak patch is the model's first flexible size).</summary>
    public ComputePlan Build(IDenoiserGeometry config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int n = Steps;
        int x = PowerfulCondSteps ?? n, y = PowerfulGuidanceSteps ?? n;
        bool needsWeak = x < n || y < n;
        if (needsWeak && config.AllPatchSizes.Count < 2)
            throw new ArgumentException($"Plan '{Name}' runs weak steps, but the model is a plain DiT with only patch size {config.PatchSize}; convert it with 'flexidit convert' first.");
        int weak = needsWeak ? config.AllPatchSizes[1] : config.PatchSize;
        var plan = ComputePlan.WeakFirst(Name, Respacing, config.PatchSize, weak, x, y, GuidanceScale, WeakGuidance, Solver, unguidedLastSteps: UnguidedLastSteps);
        return plan with { GuideFirstThreeChannelsOnly = GuideFirstThreeChannelsOnly, ClipDenoised = ClipDenoised, Variance = Variance };
    }
}
