using FlexiDiT.Governance.Policies;
using Microsoft.Extensions.AI;

namespace FlexiDiT.Extensions.AI;

/// <summary>
/// What one FlexiDiT generation decided, ran and cost; the <see cref="ImageGenerationResponse.RawRepresentation"/> of
/// its response (read it with <see cref="FlexiDiTResponseExtensions.GetFlexiDiTReport"/>).
/// </summary>
public sealed record FlexiDiTGenerationReport
{
    /// <summary>Gets the model pack that ran.</summary>
    public required string Model { get; init; }

    /// <summary>Gets the class the prompt was matched to (a text-to-image pack: the prompt itself).</summary>
    public required string ClassName { get; init; }

    /// <summary>Gets the class index (−1 for a text-to-image pack).</summary>
    public required int ClassIndex { get; init; }

    /// <summary>Gets the prompt a text-to-image pack drew (null for a class pack, which draws <see cref="ClassName"/>).</summary>
    public string? Prompt { get; init; }

    /// <summary>
    /// Gets the words of the prompt the model did not understand and left out of the images, in order ("giraffe"); empty
    /// when it understood every word (always, for class packs and T5 encoders).
    /// </summary>
    public IReadOnlyList<string> IgnoredWords { get; init; } = [];

    /// <summary>Gets the number of images.</summary>
    public required int Count { get; init; }

    /// <summary>Gets the seed of the noise (same seed, mode, count and class: same images).</summary>
    public required long Seed { get; init; }

    /// <summary>Gets the task type the policy decided by.</summary>
    public required string TaskType { get; init; }

    /// <summary>Gets the tenant charged.</summary>
    public required string TenantId { get; init; }

    /// <summary>Gets the user charged within the tenant, if any.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the compute mode (plan) that ran: after an SLA fallback, the cheaper plan.</summary>
    public required string Mode { get; init; }

    /// <summary>Gets the mode the policy chose first (equal to <see cref="Mode"/> unless the request fell back).</summary>
    public required string DecidedMode { get; init; }

    /// <summary>Gets a value indicating whether the SLA ran short and a cheaper plan finished the request.</summary>
    public required bool FellBack { get; init; }

    /// <summary>Gets a value indicating whether a plan below the task's quality floor ran (budget or time forced it).</summary>
    public required bool Degraded { get; init; }

    /// <summary>Gets the policy's explanation of the plan that ran.</summary>
    public required string Reason { get; init; }

    /// <summary>Gets the credits reserved before running.</summary>
    public required decimal ReservedCost { get; init; }

    /// <summary>Gets the credits charged: the price of the FLOPs actually spent (never more than reserved).</summary>
    public required decimal Cost { get; init; }

    /// <summary>Gets the latency the policy predicted for the decided plan, if it could.</summary>
    public double? PredictedLatencyMs { get; init; }

    /// <summary>Gets the time from entering the resilience pipeline (queueing included) to the images.</summary>
    public required double ActualLatencyMs { get; init; }

    /// <summary>Gets the latency SLA in force.</summary>
    public required int SlaMs { get; init; }

    /// <summary>Gets the sampling steps per image.</summary>
    public required int Steps { get; init; }

    /// <summary>Gets the steps whose conditional branch ran at the weak patch size.</summary>
    public required int WeakSteps { get; init; }

    /// <summary>Gets the denoiser FLOPs spent on all the images.</summary>
    public required long FlopsSpent { get; init; }

    /// <summary>Gets the FLOPs saved in all against the full-compute mode (<see cref="Savings"/> splits them).</summary>
    public required long FlopsSaved { get; init; }

    /// <summary>
    /// Gets the saving split into FlexiDiT's part (against full compute at the same steps and guidance) and fewer steps'
    /// part; their kept fractions multiply to the total. Without a split, all of <see cref="FlopsSaved"/> counts as FlexiDiT's.
    /// </summary>
    public FlexiDiT.Flops.ComputeSavings Savings
    {
        get => savings ?? FlexiDiT.Flops.ComputeSavings.Of(FlopsSpent, FlopsSpent + FlopsSaved, null);
        init => savings = value;
    }

    private readonly FlexiDiT.Flops.ComputeSavings? savings;

    /// <summary>Gets the approval of the plan that ran, with everything the policy engine knew.</summary>
    public required PolicyApproval Approval { get; init; }
}
