using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Resilience;

namespace FlexiDiT.Governance;

/// <summary>
/// The whole governed path for one request, in the order that keeps the books right:
/// read the budget → decide the plan → reserve its price → generate under the resilience pipeline →
/// commit the cost of the plan that actually ran, or release the reservation if anything failed.
/// </summary>
/// <typeparam name="TResult">The engine's result type.</typeparam>
public sealed class ComputeGovernor<TResult>
{
    private readonly ComputePolicyEngine _policy;
    private readonly BudgetLedger _ledger;
    private readonly GenerationResiliencePipeline<TResult> _pipeline;
    private readonly ComputeGovernorOptions _options;

    /// <summary>Initializes a new instance of the <see cref="ComputeGovernor{TResult}"/> class.</summary>
    /// <param name="policy">The policy engine.</param>
    /// <param name="ledger">The budget ledger.</param>
    /// <param name="pipeline">The resilience pipeline in front of the engine.</param>
    /// <param name="options">The options, or <see langword="null"/> for defaults.</param>
    public ComputeGovernor(
        ComputePolicyEngine policy,
        BudgetLedger ledger,
        GenerationResiliencePipeline<TResult> pipeline,
        ComputeGovernorOptions? options = null)
    {
        _policy = policy ?? throw new ArgumentNullException(nameof(policy));
        _ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        _pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        _options = options ?? new ComputeGovernorOptions();
        _options.Validate();
    }

    /// <summary>Runs one request under policy, budget and resilience.</summary>
    /// <param name="request">The request; its <see cref="PolicyRequest.RemainingBudget"/> is ignored and read from the ledger.</param>
    /// <param name="engine">The engine call; see <see cref="GenerationResiliencePipeline{TResult}.ExecuteAsync"/>.</param>
    /// <param name="cancellationToken">Cancels the request; the reservation is then released.</param>
    /// <returns>The refusal, or the generation with what it cost.</returns>
    /// <exception cref="EngineBusyException">The engine's queue is full (nothing was charged).</exception>
    /// <exception cref="EngineUnavailableException">The engine's circuit is open (nothing was charged).</exception>
    /// <exception cref="GenerationTimeoutException">The SLA ran out (nothing was charged).</exception>
    public async Task<GovernedResult<TResult>> RunAsync(
        PolicyRequest request,
        Func<GenerationAttempt, CancellationToken, ValueTask<TResult>> engine,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(engine);

        PolicyApproval approval;
        BudgetReservation reservation;
        for (var round = 0; ; round++)
        {
            // An unknown tenant has no ledger account; let the policy engine refuse it with its own reason code.
            decimal? remaining = _policy.Policies.FindTenant(request.TenantId) is null
                ? null
                : await _ledger.GetRemainingAsync(request.TenantId, request.UserId, cancellationToken).ConfigureAwait(false);
            var decision = _policy.Decide(request with { RemainingBudget = remaining });
            if (decision is PolicyRefusal refusal)
            {
                return GovernedResult<TResult>.Refused(refusal);
            }

            approval = (PolicyApproval)decision;
            var ttl = TimeSpan.FromMilliseconds(approval.SlaMs) + _options.ReservationMargin;
            var reserved = await _ledger.TryReserveAsync(approval.TenantId, approval.UserId, approval.Cost, ttl, cancellationToken).ConfigureAwait(false);
            if (reserved.Succeeded)
            {
                reservation = reserved.Reservation;
                break;
            }

            if (round >= _options.BudgetRaceRetries)
            {
                return GovernedResult<TResult>.Refused(new PolicyRefusal { Code = RefusalReason.BudgetExhausted, Reason = reserved.Denial.Message });
            }
        }

        GenerationOutcome<TResult> outcome;
        try
        {
            outcome = await _pipeline.ExecuteAsync(approval, engine, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Whatever went wrong (including the caller cancelling), nothing was delivered, so nothing is charged.
            await _ledger.ReleaseAsync(reservation.Id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        // A fallback ran a cheaper plan than was reserved: charge what ran, release the rest.
        var receipt = await _ledger.CommitAsync(reservation.Id, outcome.Approval.Cost, CancellationToken.None).ConfigureAwait(false);
        return GovernedResult<TResult>.Ran(approval, outcome, receipt);
    }
}
