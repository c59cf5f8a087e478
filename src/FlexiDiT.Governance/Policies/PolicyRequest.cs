using FlexiDiT.Governance.Knowledge;

namespace FlexiDiT.Governance.Policies;

/// <summary>What a caller asks the <see cref="ComputePolicyEngine"/> to decide.</summary>
public sealed record PolicyRequest
{
    /// <summary>Gets the task type, e.g. <c>slide</c>.</summary>
    public required string TaskType { get; init; }

    /// <summary>Gets the tenant that pays.</summary>
    public required string TenantId { get; init; }

    /// <summary>Gets the user within the tenant, if known.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the number of images.</summary>
    public int Count { get; init; } = 1;

    /// <summary>Gets a latency SLA in milliseconds that replaces the task's default, if any.</summary>
    public int? SlaMs { get; init; }

    /// <summary>Gets a plan (mode) the caller insists on, if any; it is honoured when it exists and is affordable.</summary>
    public string? PlanName { get; init; }

    /// <summary>Gets a quality floor that replaces the task's, if any.</summary>
    public QualityFloor? QualityFloor { get; init; }

    /// <summary>
    /// Gets the credits the payer has left this period (from the ledger: the smaller of the tenant's and the user's),
    /// or <see langword="null"/> to decide without a budget, e.g. to answer "what would this cost".
    /// </summary>
    public decimal? RemainingBudget { get; init; }
}
