using System.Diagnostics.CodeAnalysis;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Resilience;

namespace FlexiDiT.Governance;

/// <summary>The result of <see cref="ComputeGovernor{TResult}.RunAsync(PolicyRequest, GovernedWork{TResult}, CancellationToken)"/>: a refusal, or a generation and its charge.</summary>
/// <typeparam name="TResult">The engine's result type.</typeparam>
public sealed record GovernedResult<TResult>
{
    private GovernedResult(PolicyDecision decision, GenerationOutcome<TResult>? outcome, CommitReceipt? receipt)
    {
        Decision = decision;
        Outcome = outcome;
        Receipt = receipt;
    }

    /// <summary>
    /// Gets the policy decision the request ran (or was refused) under: for a run, the approval that was reserved,
    /// as <see cref="GovernedWork{TResult}.PrepareAsync"/> re-priced it.
    /// </summary>
    public PolicyDecision Decision { get; }

    /// <summary>Gets the refusal, when the request did not run.</summary>
    public PolicyRefusal? Refusal => Decision as PolicyRefusal;

    /// <summary>
    /// Gets the approval that was reserved, when the request ran; the plan that actually ran, cheaper after a
    /// fallback, is <c>Outcome.Approval</c>.
    /// </summary>
    public PolicyApproval? Approval => Decision as PolicyApproval;

    /// <summary>Gets the generation, when it ran.</summary>
    public GenerationOutcome<TResult>? Outcome { get; }

    /// <summary>Gets what was charged, when it ran.</summary>
    public CommitReceipt? Receipt { get; }

    /// <summary>Gets a value indicating whether the generation ran and was charged.</summary>
    [MemberNotNullWhen(true, nameof(Outcome), nameof(Receipt), nameof(Approval))]
    [MemberNotNullWhen(false, nameof(Refusal))]
    public bool Completed => Outcome is not null;

    internal static GovernedResult<TResult> Refused(PolicyRefusal refusal) => new(refusal, null, null);

    internal static GovernedResult<TResult> Ran(PolicyApproval approval, GenerationOutcome<TResult> outcome, CommitReceipt receipt) =>
        new(approval, outcome, receipt);
}
