using FlexiDiT.Governance.Knowledge;

namespace FlexiDiT.Governance.Policies;

/// <summary>The request may go ahead with this plan, at this predicted cost and latency.</summary>
public sealed record PolicyApproval : PolicyDecision
{
    /// <inheritdoc />
    public override bool IsApproved => true;

    /// <summary>Gets the task type.</summary>
    public required string TaskType { get; init; }

    /// <summary>Gets the tenant that pays.</summary>
    public required string TenantId { get; init; }

    /// <summary>Gets the user within the tenant, if known.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the number of images.</summary>
    public required int Count { get; init; }

    /// <summary>Gets the chosen plan.</summary>
    public required PlanEntry Plan { get; init; }

    /// <summary>Gets the chosen plan's name.</summary>
    public string PlanName => Plan.Name;

    /// <summary>Gets the predicted denoiser FLOPs for all the images.</summary>
    public required double PredictedFlops { get; init; }

    /// <summary>Gets the price in credits for all the images.</summary>
    public required decimal Cost { get; init; }

    /// <summary>Gets the predicted milliseconds for all the images, or <see langword="null"/> when nothing predicts it.</summary>
    public double? PredictedLatencyMs { get; init; }

    /// <summary>Gets the latency SLA in force, in milliseconds.</summary>
    public required int SlaMs { get; init; }

    /// <summary>Gets the quality floor in force.</summary>
    public required QualityFloor QualityFloor { get; init; }

    /// <summary>Gets a value indicating whether the task may fall back to a cheaper plan when time runs short.</summary>
    public required bool MayDegrade { get; init; }

    /// <summary>Gets a value indicating whether the plan was chosen below the quality floor (budget or time forced it).</summary>
    public required bool Degraded { get; init; }
}
