using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Governance.Resilience;

/// <summary>What a generation through the <see cref="GenerationResiliencePipeline{TResult}"/> produced.</summary>
/// <typeparam name="TResult">The engine's result type.</typeparam>
/// <param name="Value">The engine's result.</param>
/// <param name="Attempt">The attempt that produced it: charge <c>Attempt.Approval.Cost</c>, not the original approval's.</param>
/// <param name="Elapsed">The time from entering the pipeline (queueing included) to the result.</param>
public sealed record GenerationOutcome<TResult>(TResult Value, GenerationAttempt Attempt, TimeSpan Elapsed)
{
    /// <summary>Gets the approval of the plan that actually ran.</summary>
    public PolicyApproval Approval => Attempt.Approval;
}
