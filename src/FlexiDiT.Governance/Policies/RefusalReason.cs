namespace FlexiDiT.Governance.Policies;

/// <summary>Why the policy engine refused a request.</summary>
public enum RefusalReason
{
    /// <summary>The remaining budget cannot pay for an acceptable plan (or for the plan asked for).</summary>
    BudgetExhausted,

    /// <summary>No plan that meets the quality floor is predicted to finish within the latency SLA.</summary>
    SlaUnreachable,

    /// <summary>No plan meets the quality floor, typically because quality was not evaluated.</summary>
    QualityUnreachable,

    /// <summary>The tenant's policy does not allow this task type.</summary>
    TaskNotAllowed,

    /// <summary>The task type is not defined in the policies.</summary>
    UnknownTaskType,

    /// <summary>The plan asked for is not in the plan table.</summary>
    UnknownPlan,

    /// <summary>More images were asked for than the task allows per request.</summary>
    CountTooLarge,

    /// <summary>The tenant is not defined in the policies.</summary>
    UnknownTenant,
}
