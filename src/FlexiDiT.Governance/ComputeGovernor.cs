using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Resilience;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlexiDiT.Governance;

/// <summary>
/// The whole governed path for one request, in the order that keeps the books right:
/// read the budget → decide the plan → prepare (re-price, load) → reserve its price → generate under the resilience
/// pipeline → commit the charge of what actually ran, or release the reservation if anything failed.
/// </summary>
/// <typeparam name="TResult">The engine's result type.</typeparam>
/// <remarks>Thread-safe; one instance serves every request to an engine.</remarks>
public sealed class ComputeGovernor<TResult>
{
    private readonly ComputePolicyEngine policy;
    private readonly BudgetLedger ledger;
    private readonly GenerationResiliencePipeline<TResult> pipeline;
    private readonly ComputeGovernorOptions options;
    private readonly ILogger logger;

    /// <summary>Initializes a new instance of the <see cref="ComputeGovernor{TResult}"/> class.</summary>
    /// <param name="policy">The policy engine.</param>
    /// <param name="ledger">The budget ledger.</param>
    /// <param name="pipeline">The resilience pipeline in front of the engine.</param>
    /// <param name="options">The options, or <see langword="null"/> for defaults.</param>
    /// <param name="logger">Where to log budget races and capped charges, if anywhere.</param>
    public ComputeGovernor(
        ComputePolicyEngine policy,
        BudgetLedger ledger,
        GenerationResiliencePipeline<TResult> pipeline,
        ComputeGovernorOptions? options = null,
        ILogger<ComputeGovernor<TResult>>? logger = null)
    {
        this.policy = policy ?? throw new ArgumentNullException(nameof(policy));
        this.ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        this.pipeline = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
        this.options = options ?? new ComputeGovernorOptions();
        this.options.Validate();
        this.logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Runs one request under policy, budget and resilience, charging the price of the plan that ran.</summary>
    /// <param name="request">The request; its <see cref="PolicyRequest.RemainingBudget"/> is ignored and read from the ledger.</param>
    /// <param name="engine">The engine call; see <see cref="GovernedWork{TResult}.Run"/>.</param>
    /// <param name="cancellationToken">Cancels the request; the reservation is then released.</param>
    /// <returns>The refusal, or the generation with what it cost.</returns>
    /// <exception cref="EngineBusyException">The engine's queue is full (nothing was charged).</exception>
    /// <exception cref="EngineUnavailableException">The engine's circuit is open (nothing was charged).</exception>
    /// <exception cref="GenerationTimeoutException">The SLA ran out (nothing was charged).</exception>
    public Task<GovernedResult<TResult>> RunAsync(
        PolicyRequest request,
        Func<GenerationAttempt, CancellationToken, ValueTask<TResult>> engine,
        CancellationToken cancellationToken = default) =>
        RunAsync(request, new GovernedWork<TResult>(engine), cancellationToken);

    /// <summary>Runs one request under policy, budget and resilience, with the work's hooks to price and charge it.</summary>
    /// <param name="request">The request; its <see cref="PolicyRequest.RemainingBudget"/> is ignored and read from the ledger.</param>
    /// <param name="work">The engine call and its hooks.</param>
    /// <param name="cancellationToken">Cancels the request; a reservation already made is then released.</param>
    /// <returns>The refusal, or the generation with what it cost.</returns>
    /// <exception cref="EngineBusyException">The engine's queue is full (nothing was charged).</exception>
    /// <exception cref="EngineUnavailableException">The engine's circuit is open (nothing was charged).</exception>
    /// <exception cref="GenerationTimeoutException">The SLA ran out (nothing was charged).</exception>
    /// <exception cref="InvalidOperationException">A hook of <paramref name="work"/> broke its contract (nothing was charged).</exception>
    public async Task<GovernedResult<TResult>> RunAsync(
        PolicyRequest request,
        GovernedWork<TResult> work,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(work);

        PolicyApproval approval;
        BudgetReservation reservation;
        for (var round = 0; ; round++)
        {
            // An unknown tenant has no ledger account; let the policy engine refuse it with its own reason code.
            decimal? remaining = policy.Policies.FindTenant(request.TenantId) is null
                ? null
                : await ledger.GetRemainingAsync(request.TenantId, request.UserId, cancellationToken).ConfigureAwait(false);
            var decision = policy.Decide(request with { RemainingBudget = remaining });
            if (decision is PolicyRefusal refusal)
            {
                return GovernedResult<TResult>.Refused(refusal);
            }

            approval = await PrepareAsync(work, (PolicyApproval)decision, cancellationToken).ConfigureAwait(false);
            var ttl = TimeSpan.FromMilliseconds(approval.SlaMs) + options.ReservationMargin;
            var reserved = await ledger.TryReserveAsync(approval.TenantId, approval.UserId, approval.Cost, ttl, cancellationToken).ConfigureAwait(false);
            if (reserved.Succeeded)
            {
                reservation = reserved.Reservation;
                break;
            }

            if (round >= options.BudgetRaceRetries)
            {
                return GovernedResult<TResult>.Refused(new PolicyRefusal { Code = RefusalReason.BudgetExhausted, Reason = reserved.Denial.Message });
            }

            GovernorLog.DecidingAgain(logger, approval.TenantId, reserved.Denial.Message);
        }

        GenerationOutcome<TResult> outcome;
        try
        {
            outcome = await pipeline.ExecuteAsync(approval, work.Run, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            // Whatever went wrong (including the caller cancelling), nothing was delivered, so nothing is charged.
            await ledger.ReleaseAsync(reservation.Id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        decimal charge;
        try
        {
            charge = ChargeOf(work, outcome, reservation);
        }
        catch
        {
            work.Discard?.Invoke(outcome.Value);
            await ledger.ReleaseAsync(reservation.Id, CancellationToken.None).ConfigureAwait(false);
            throw;
        }

        try
        {
            // The images exist and are paid for: the caller cancelling now must not undo the charge.
            var receipt = await ledger.CommitAsync(reservation.Id, charge, CancellationToken.None).ConfigureAwait(false);
            return GovernedResult<TResult>.Ran(approval, outcome, receipt);
        }
        catch
        {
            work.Discard?.Invoke(outcome.Value);
            throw;
        }
    }

    private static async ValueTask<PolicyApproval> PrepareAsync(GovernedWork<TResult> work, PolicyApproval approval, CancellationToken cancellationToken)
    {
        if (work.PrepareAsync is not { } prepare)
        {
            return approval;
        }

        var prepared = await prepare(approval, cancellationToken).ConfigureAwait(false)
            ?? throw new InvalidOperationException($"{nameof(GovernedWork<TResult>.PrepareAsync)} returned null; return the approval to reserve (the one it was given if nothing changes).");
        if (prepared.TenantId != approval.TenantId || prepared.UserId != approval.UserId)
        {
            throw new InvalidOperationException(
                $"{nameof(GovernedWork<TResult>.PrepareAsync)} moved the approval from tenant '{approval.TenantId}', user '{approval.UserId}' to tenant '{prepared.TenantId}', user '{prepared.UserId}'; it may re-price the plan, not change who pays.");
        }

        if (prepared.Cost < 0)
        {
            throw new InvalidOperationException($"{nameof(GovernedWork<TResult>.PrepareAsync)} priced {prepared.PlanName} at {prepared.Cost} credits; a price must be zero or more.");
        }

        return prepared;
    }

    private decimal ChargeOf(GovernedWork<TResult> work, GenerationOutcome<TResult> outcome, BudgetReservation reservation)
    {
        // By default the plan that ran: a fallback ran a cheaper plan than was reserved, so the rest is released.
        var charge = work.Charge is { } price ? price(outcome) : outcome.Approval.Cost;
        if (charge < 0)
        {
            throw new InvalidOperationException($"{nameof(GovernedWork<TResult>.Charge)} charged {charge} credits for {outcome.Approval.PlanName}; a charge must be zero or more.");
        }

        if (charge > reservation.Amount)
        {
            GovernorLog.ChargeCapped(logger, charge, outcome.Approval.PlanName, reservation.Amount);
            return reservation.Amount;
        }

        return charge;
    }
}
