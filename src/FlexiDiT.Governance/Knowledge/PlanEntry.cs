using System.Text.Json;

namespace FlexiDiT.Governance.Knowledge;

/// <summary>
/// One sampling plan of the engine (a step count and a weak/powerful schedule) with what it costs and,
/// where it was evaluated, how good its images are. Written by <c>flexidit eval</c>.
/// </summary>
/// <remarks>
/// The lab writes each row as its own <c>PlanResult</c>, which carries the engine's typed plan spec and diagnostics
/// the governance does not read; this assembly cannot reference the engine, so the file is the contract between them,
/// and a test of the engine's suite reads a table the lab wrote back through <see cref="PlanTable"/>.
/// </remarks>
public sealed record PlanEntry
{
    /// <summary>Gets the plan's unique name, e.g. <c>full</c> or <c>weak-first-60</c>.</summary>
    public required string Name { get; init; }

    /// <summary>Gets a human-readable description of the plan, if any.</summary>
    public string? Description { get; init; }

    /// <summary>
    /// Gets the engine's own description of the plan (its <c>spec</c> object as <c>flexidit eval</c> wrote it), or
    /// <see langword="null"/> when the table has none. The governance does not interpret it; the engine runs the
    /// plan from it, so one reader of the table serves both.
    /// </summary>
    public JsonElement? Spec { get; init; }

    /// <summary>Gets the number of denoising steps.</summary>
    public required int Steps { get; init; }

    /// <summary>Gets how many of the steps run at the weak (larger) patch size.</summary>
    public int WeakSteps { get; init; }

    /// <summary>
    /// Gets the number of single-image forward passes per image at each patch size (key: patch size).
    /// Classifier-free guidance counts both branches.
    /// </summary>
    public required IReadOnlyDictionary<int, int> Forwards { get; init; }

    /// <summary>Gets the denoiser FLOPs for one image (2 FLOPs per multiply-add).</summary>
    public required double FlopsPerImage { get; init; }

    /// <summary>Gets <see cref="FlopsPerImage"/> as a fraction of the full-compute plan's.</summary>
    public required double FlopsFraction { get; init; }

    /// <summary>Gets the plan's Fréchet distance, or <see langword="null"/> when it was not evaluated.</summary>
    public double? FrechetDistance { get; init; }

    /// <summary>Gets the fraction of images a classifier assigns to the requested class, if evaluated.</summary>
    public double? ClassAccuracy { get; init; }

    /// <summary>Gets the fraction of images with the requested colour, if evaluated.</summary>
    public double? ColorAccuracy { get; init; }

    /// <summary>Gets the milliseconds per image measured during evaluation, if any.</summary>
    public double? MsPerImage { get; init; }

    /// <summary>Gets the total number of single-image forward passes per image over all patch sizes.</summary>
    public int TotalForwards => Forwards.Values.Sum();
}
