using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Resilience;

namespace FlexiDiT.Governance;

/// <summary>
/// The work of one request that <see cref="ComputeGovernor{TResult}.RunAsync(PolicyRequest, GovernedWork{TResult}, CancellationToken)"/>
/// governs: the engine call, and the hooks where the caller knows better than the plan table what the request costs.
/// </summary>
/// <typeparam name="TResult">The engine's result type.</typeparam>
/// <remarks>Build one per request: the hooks may close over the request (its overrides, its image count).</remarks>
public sealed class GovernedWork<TResult>
{
    /// <summary>Initializes a new instance of the <see cref="GovernedWork{TResult}"/> class.</summary>
    /// <param name="run">The engine call; see <see cref="Run"/>.</param>
    public GovernedWork(Func<GenerationAttempt, CancellationToken, ValueTask<TResult>> run)
    {
        Run = run ?? throw new ArgumentNullException(nameof(run));
    }

    /// <summary>
    /// Gets the engine call, run under the resilience pipeline once per attempt (a fallback attempt runs a cheaper
    /// plan). It must honour its token: that fires at the attempt's deadline as well as when the caller cancels.
    /// </summary>
    public Func<GenerationAttempt, CancellationToken, ValueTask<TResult>> Run { get; }

    /// <summary>
    /// Gets the step between the policy's approval and the reservation: it returns the approval to reserve and run,
    /// re-priced if the request changes what the plan costs (e.g. overrides of its steps), after doing whatever must
    /// come before the hold, such as loading weights (the hold lives only as long as the SLA, plus a margin).
    /// </summary>
    /// <remarks>
    /// <para>Runs only for an approved request, so a refusal costs no preparation; runs again for each new decision
    /// when another request spent the budget before the reservation. <see langword="null"/>: reserve the approval as
    /// the policy priced it.</para>
    /// <para>It may change the plan and its price, not the account: the returned approval's tenant and user must be
    /// the policy's, and its cost zero or more. If it throws, nothing is reserved and the exception propagates.</para>
    /// </remarks>
    public Func<PolicyApproval, CancellationToken, ValueTask<PolicyApproval>>? PrepareAsync { get; init; }

    /// <summary>
    /// Gets what a completed generation is charged, from its result (e.g. the price of the FLOPs the engine
    /// measured). <see langword="null"/>: the price of the plan that ran, <c>outcome.Approval.Cost</c>, which after
    /// a fallback is the cheaper plan's.
    /// </summary>
    /// <remarks>
    /// The governor never charges more than it reserved: a larger amount is capped at the reservation. A negative
    /// amount, or an exception, releases the reservation and fails the request.
    /// </remarks>
    public Func<GenerationOutcome<TResult>, decimal>? Charge { get; init; }

    /// <summary>
    /// Gets what frees a result that will not reach the caller because charging it failed (e.g. disposing native
    /// buffers). It must not throw. <see langword="null"/>: nothing to free.
    /// </summary>
    public Action<TResult>? Discard { get; init; }
}
