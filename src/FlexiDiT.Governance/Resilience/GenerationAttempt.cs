using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Governance.Resilience;

/// <summary>One try at generating: the approved plan the engine must run and the time it has.</summary>
/// <param name="Approval">The approval whose plan to run; a fallback carries a degraded approval.</param>
/// <param name="AttemptNumber">0 for the approved plan, 1 for the fallback.</param>
/// <param name="TimeBudget">The time this attempt has before it is cancelled.</param>
public sealed record GenerationAttempt(PolicyApproval Approval, int AttemptNumber, TimeSpan TimeBudget)
{
    /// <summary>Gets the plan to run.</summary>
    public PlanEntry Plan => Approval.Plan;

    /// <summary>Gets a value indicating whether this attempt is a fallback to a cheaper plan.</summary>
    public bool IsFallback => AttemptNumber > 0;
}
