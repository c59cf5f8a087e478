using FlexiDiT.Governance.Policies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlexiDiT.Governance.Ledger;

/// <summary>
/// Budgets per tenant and per user, per period: reserve before generating, commit the actual cost after, release
/// on failure. Never lets committed + reserved exceed a budget; reclaims the holds of processes that died.
/// </summary>
/// <remarks>
/// The ledger holds no state of its own: every rule that needs atomicity runs inside the <see cref="IBudgetStore"/>,
/// so any number of ledgers (threads, processes, replicas) may share one store. Periods come from the injected
/// <see cref="TimeProvider"/> in UTC.
/// </remarks>
public sealed partial class BudgetLedger
{
    private readonly IBudgetStore store;
    private readonly ITenantPolicySource tenants;
    private readonly BudgetLedgerOptions options;
    private readonly TimeProvider time;
    private readonly ILogger logger;

    private BudgetLedger(IBudgetStore store, ITenantPolicySource tenants, BudgetLedgerOptions options, TimeProvider time, ILogger logger)
    {
        this.store = store;
        this.tenants = tenants;
        this.options = options;
        this.time = time;
        this.logger = logger;
    }

    /// <summary>
    /// Raised when committed spend crosses one of a tenant's alert thresholds, once per threshold, account and period
    /// (across every ledger sharing the store). Also logged as a warning. Handler exceptions are logged, not thrown.
    /// </summary>
    public event EventHandler<BudgetAlert>? ThresholdCrossed;

    /// <summary>
    /// Opens a ledger: prepares the store and reclaims reservations that expired while no one was running (e.g. the
    /// process crashed mid-generation).
    /// </summary>
    /// <param name="store">The store, shared with any other ledgers.</param>
    /// <param name="tenants">Where tenants' budgets, periods and thresholds come from.</param>
    /// <param name="options">The options, or <see langword="null"/> for defaults.</param>
    /// <param name="timeProvider">The clock, or <see langword="null"/> for the system clock.</param>
    /// <param name="logger">Where alerts and reclaims are logged.</param>
    /// <param name="cancellationToken">Cancels opening.</param>
    /// <returns>The ledger.</returns>
    public static async Task<BudgetLedger> OpenAsync(
        IBudgetStore store,
        ITenantPolicySource tenants,
        BudgetLedgerOptions? options = null,
        TimeProvider? timeProvider = null,
        ILogger<BudgetLedger>? logger = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(tenants);
        options ??= new BudgetLedgerOptions();
        options.Validate();

        await store.InitializeAsync(cancellationToken).ConfigureAwait(false);
        var ledger = new BudgetLedger(store, tenants, options, timeProvider ?? TimeProvider.System, logger ?? (ILogger)NullLogger.Instance);
        await ledger.ReclaimExpiredAsync(cancellationToken).ConfigureAwait(false);
        return ledger;
    }

    /// <summary>Holds credits for a generation, if the tenant's (and the user's) budget can cover them.</summary>
    /// <param name="tenantId">The tenant.</param>
    /// <param name="userId">The user, or <see langword="null"/>.</param>
    /// <param name="amount">The credits to hold, usually <see cref="PolicyApproval.Cost"/>.</param>
    /// <param name="ttl">How long until an uncommitted hold is reclaimed; <see cref="BudgetLedgerOptions.DefaultReservationTtl"/> if omitted.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The reservation, or a denial saying which budget refused.</returns>
    /// <exception cref="ArgumentException">The tenant is unknown, or the amount or time-to-live is out of range.</exception>
    public async Task<ReservationResult> TryReserveAsync(
        string tenantId, string? userId, decimal amount, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var tenant = RequireTenant(tenantId);
        if (userId is not null)
        {
            PolicyNames.EnsureAccountId(userId, "user id");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(amount);
        var lifetime = ttl ?? options.DefaultReservationTtl;
        if (lifetime <= TimeSpan.Zero || lifetime > options.MaxReservationTtl)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), lifetime, $"must be positive and at most {options.MaxReservationTtl}");
        }

        var now = time.GetUtcNow();
        var period = BudgetPeriodWindow.Containing(tenant.Period, now);
        var userBudget = tenant.BudgetFor(userId);
        var command = new ReserveCommand
        {
            ReservationId = Guid.NewGuid(),
            TenantId = tenant.Id,
            UserId = userId,
            PeriodKey = period.Key,
            AmountMicros = CreditUnits.ToMicros(amount),
            TenantLimitMicros = CreditUnits.ToMicros(tenant.Budget),
            UserLimitMicros = userBudget is { } ub ? CreditUnits.ToMicros(ub) : null,
            CreatedAt = now,
            ExpiresAt = now + lifetime,
        };

        var outcome = await store.TryReserveAsync(command, cancellationToken).ConfigureAwait(false);
        if (outcome.Succeeded)
        {
            LogReserved(logger, command.ReservationId, tenant.Id, userId, CreditUnits.ToCredits(command.AmountMicros));
            return ReservationResult.Success(new BudgetReservation(
                command.ReservationId, tenant.Id, userId, CreditUnits.ToCredits(command.AmountMicros), period, command.ExpiresAt));
        }

        var (usage, limit) = outcome.DeniedBy == BudgetScope.User
            ? (outcome.User!, outcome.UserLimitMicros!.Value)
            : (outcome.Tenant, outcome.TenantLimitMicros);
        var denial = new BudgetDenial(
            outcome.DeniedBy!.Value,
            tenant.Id,
            userId,
            CreditUnits.ToCredits(limit),
            CreditUnits.ToCredits(usage.CommittedMicros),
            CreditUnits.ToCredits(usage.ReservedMicros),
            CreditUnits.ToCredits(command.AmountMicros),
            period);
        LogDenied(logger, denial.Message);
        return ReservationResult.Denied(denial);
    }

    /// <summary>Holds credits for a generation, or throws when the budget cannot cover them.</summary>
    /// <param name="tenantId">The tenant.</param>
    /// <param name="userId">The user, or <see langword="null"/>.</param>
    /// <param name="amount">The credits to hold.</param>
    /// <param name="ttl">How long until an uncommitted hold is reclaimed.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The reservation.</returns>
    /// <exception cref="BudgetExceededException">The budget cannot cover the amount; nothing was reserved.</exception>
    public async Task<BudgetReservation> ReserveAsync(
        string tenantId, string? userId, decimal amount, TimeSpan? ttl = null, CancellationToken cancellationToken = default)
    {
        var result = await TryReserveAsync(tenantId, userId, amount, ttl, cancellationToken).ConfigureAwait(false);
        return result.Succeeded ? result.Reservation : throw new BudgetExceededException(result.Denial);
    }

    /// <summary>
    /// Charges the actual cost of a finished generation (at most what was reserved) and gives the rest back; raises
    /// <see cref="ThresholdCrossed"/> for thresholds the spend now reaches.
    /// </summary>
    /// <param name="reservationId">The reservation.</param>
    /// <param name="actualCost">The credits to charge, e.g. the cost of the plan that actually ran.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What was charged and given back.</returns>
    /// <exception cref="ReservationStateException">The reservation does not exist or is no longer held (committed, released or expired).</exception>
    /// <exception cref="ArgumentOutOfRangeException">The actual cost is negative or above the reserved amount.</exception>
    public async Task<CommitReceipt> CommitAsync(Guid reservationId, decimal actualCost, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actualCost);
        var actualMicros = CreditUnits.ToMicros(actualCost);
        var outcome = await store.CommitAsync(reservationId, actualMicros, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        switch (outcome.Status)
        {
            case SettlementStatus.NotFound:
                throw new ReservationStateException(reservationId, null);
            case SettlementStatus.NotHeld:
                throw new ReservationStateException(reservationId, outcome.Reservation!.State);
            case SettlementStatus.ExceedsReservation:
                throw new ArgumentOutOfRangeException(
                    nameof(actualCost),
                    actualCost,
                    $"cannot charge more than the {CreditUnits.ToCredits(outcome.Reservation!.AmountMicros)} credits reserved; reserve the full price up front");
        }

        var reservation = outcome.Reservation!;
        LogCommitted(logger, reservationId, reservation.TenantId, CreditUnits.ToCredits(actualMicros));
        await RaiseAlertsAsync(reservation, outcome, cancellationToken).ConfigureAwait(false);
        return new CommitReceipt(
            reservationId,
            CreditUnits.ToCredits(reservation.AmountMicros),
            CreditUnits.ToCredits(actualMicros),
            CreditUnits.ToCredits(reservation.AmountMicros - actualMicros));
    }

    /// <summary>Gives a reservation's credits back without charging, after a failure or cancellation.</summary>
    /// <param name="reservationId">The reservation.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when it was held and is now released; <see langword="false"/> when it was not held (safe to call twice).</returns>
    public async Task<bool> ReleaseAsync(Guid reservationId, CancellationToken cancellationToken = default)
    {
        var outcome = await store.ReleaseAsync(reservationId, time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        if (outcome.Status == SettlementStatus.Settled)
        {
            LogReleased(logger, reservationId, outcome.Reservation!.TenantId);
            return true;
        }

        return false;
    }

    /// <summary>Releases every reservation whose time-to-live has passed; also done when the ledger opens.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The number of reservations reclaimed.</returns>
    public async Task<int> ReclaimExpiredAsync(CancellationToken cancellationToken = default)
    {
        var reclaimed = await store.ReclaimExpiredAsync(time.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        foreach (var r in reclaimed)
        {
            LogReclaimed(logger, r.Id, r.TenantId, CreditUnits.ToCredits(r.AmountMicros), r.ExpiresAt);
        }

        return reclaimed.Count;
    }

    /// <summary>Reads a reservation.</summary>
    /// <param name="reservationId">The reservation.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The reservation as stored, or <see langword="null"/>.</returns>
    public Task<ReservationRecord?> GetReservationAsync(Guid reservationId, CancellationToken cancellationToken = default) =>
        store.GetReservationAsync(reservationId, cancellationToken);

    /// <summary>Reads a tenant's (and optionally a user's) spend, holds and remaining budget in the current period.</summary>
    /// <param name="tenantId">The tenant.</param>
    /// <param name="userId">The user, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The status, with the period's start and end.</returns>
    public async Task<BudgetStatus> GetStatusAsync(string tenantId, string? userId = null, CancellationToken cancellationToken = default)
    {
        var tenant = RequireTenant(tenantId);
        var period = BudgetPeriodWindow.Containing(tenant.Period, time.GetUtcNow());
        var tenantUsage = await store.GetUsageAsync(tenant.Id, null, period.Key, cancellationToken).ConfigureAwait(false);
        AccountBalance? user = null;
        if (userId is not null)
        {
            var userUsage = await store.GetUsageAsync(tenant.Id, userId, period.Key, cancellationToken).ConfigureAwait(false);
            user = Balance(userUsage, tenant.BudgetFor(userId));
        }

        return new BudgetStatus(tenant.Id, userId, period, Balance(tenantUsage, tenant.Budget), user);
    }

    /// <summary>Reads the credits the payer can still reserve this period: what the policy engine needs.</summary>
    /// <param name="tenantId">The tenant.</param>
    /// <param name="userId">The user, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The smaller of the tenant's and the user's remaining credits.</returns>
    public async Task<decimal> GetRemainingAsync(string tenantId, string? userId = null, CancellationToken cancellationToken = default) =>
        (await GetStatusAsync(tenantId, userId, cancellationToken).ConfigureAwait(false)).Remaining;

    /// <summary>
    /// Replaces the policy's budget for a tenant (or one of its users) in every period until cleared, e.g. to grant a
    /// one-off top-up. Shared by every ledger on the store.
    /// </summary>
    /// <param name="tenantId">The tenant.</param>
    /// <param name="userId">The user, or <see langword="null"/> for the tenant's budget.</param>
    /// <param name="budget">The new budget per period, or <see langword="null"/> to return to the policy's.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the override is stored.</returns>
    public Task SetBudgetOverrideAsync(string tenantId, string? userId, decimal? budget, CancellationToken cancellationToken = default)
    {
        var tenant = RequireTenant(tenantId);
        if (userId is not null)
        {
            PolicyNames.EnsureAccountId(userId, "user id");
        }

        if (budget is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(budget), budget, "must not be negative");
        }

        LogOverride(logger, tenant.Id, userId, budget);
        return store.SetLimitOverrideAsync(tenant.Id, userId, budget is { } b ? CreditUnits.ToMicros(b) : null, cancellationToken);
    }

    /// <summary>
    /// Forgets a tenant's spend in the current period and re-arms its alerts. Reservations in flight stay held.
    /// </summary>
    /// <param name="tenantId">The tenant.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The period that was reset.</returns>
    public async Task<BudgetPeriodWindow> ResetPeriodAsync(string tenantId, CancellationToken cancellationToken = default)
    {
        var tenant = RequireTenant(tenantId);
        var period = BudgetPeriodWindow.Containing(tenant.Period, time.GetUtcNow());
        await store.ResetPeriodAsync(tenant.Id, period.Key, cancellationToken).ConfigureAwait(false);
        LogReset(logger, tenant.Id, period.Key);
        return period;
    }

    private async Task RaiseAlertsAsync(ReservationRecord reservation, SettlementOutcome outcome, CancellationToken cancellationToken)
    {
        var tenant = tenants.FindTenant(reservation.TenantId);
        if (tenant is null || tenant.AlertThresholds.Count == 0)
        {
            // The tenant left the policies while its work ran: there is no one to alert.
            return;
        }

        // Alerts belong to the reservation's period, which is the current one unless the work straddled midnight.
        var period = BudgetPeriodWindow.Containing(tenant.Period, reservation.CreatedAt);
        if (period.Key != reservation.PeriodKey)
        {
            // The tenant's period kind changed since the reservation; its thresholds no longer describe that period.
            return;
        }

        await RaiseAlertsAsync(tenant, null, outcome.Tenant!, tenant.Budget, period, cancellationToken).ConfigureAwait(false);
        if (reservation.UserId is { } userId && outcome.User is { } userUsage
            && (tenant.BudgetFor(userId) is not null || userUsage.LimitOverrideMicros is not null))
        {
            await RaiseAlertsAsync(tenant, userId, userUsage, tenant.BudgetFor(userId) ?? 0, period, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task RaiseAlertsAsync(
        TenantPolicy tenant, string? userId, AccountUsage usage, decimal policyLimit, BudgetPeriodWindow period, CancellationToken cancellationToken)
    {
        var limitMicros = usage.LimitOverrideMicros ?? CreditUnits.ToMicros(policyLimit);
        if (limitMicros == 0)
        {
            return;
        }

        foreach (var threshold in tenant.AlertThresholds)
        {
            if (usage.CommittedMicros < threshold * limitMicros)
            {
                break;
            }

            var now = time.GetUtcNow();
            if (!await store.TryRecordAlertAsync(tenant.Id, userId, period.Key, threshold, now, cancellationToken).ConfigureAwait(false))
            {
                continue;
            }

            var alert = new BudgetAlert
            {
                TenantId = tenant.Id,
                UserId = userId,
                Threshold = threshold,
                Spent = CreditUnits.ToCredits(usage.CommittedMicros),
                Limit = CreditUnits.ToCredits(limitMicros),
                Period = period,
            };
            LogAlert(logger, tenant.Id, userId, threshold, alert.Spent, alert.Limit, period.Key);
            try
            {
                ThresholdCrossed?.Invoke(this, alert);
            }
            catch (Exception ex)
            {
                // The charge is already committed; a faulty subscriber must not make the caller think it failed.
                LogAlertHandlerFailed(logger, ex, tenant.Id);
            }
        }
    }

    private TenantPolicy RequireTenant(string tenantId)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(tenantId);
        return tenants.FindTenant(tenantId)
            ?? throw new ArgumentException($"unknown tenant '{tenantId}': it is not in the policies", nameof(tenantId));
    }

    private static AccountBalance Balance(AccountUsage usage, decimal? policyLimit)
    {
        decimal? limit = usage.LimitOverrideMicros is { } o ? CreditUnits.ToCredits(o) : policyLimit;
        return new AccountBalance(limit, CreditUnits.ToCredits(usage.CommittedMicros), CreditUnits.ToCredits(usage.ReservedMicros));
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Reserved {ReservationId}: {Amount} credits for {TenantId}/{UserId}")]
    private static partial void LogReserved(ILogger logger, Guid reservationId, string tenantId, string? userId, decimal amount);

    [LoggerMessage(Level = LogLevel.Information, Message = "Reservation denied: {Message}")]
    private static partial void LogDenied(ILogger logger, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Committed {ReservationId} for {TenantId}: charged {Charged} credits")]
    private static partial void LogCommitted(ILogger logger, Guid reservationId, string tenantId, decimal charged);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Released {ReservationId} for {TenantId}")]
    private static partial void LogReleased(ILogger logger, Guid reservationId, string tenantId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reclaimed expired reservation {ReservationId} of {TenantId}: {Amount} credits held since before {ExpiresAt:o} returned to the budget")]
    private static partial void LogReclaimed(ILogger logger, Guid reservationId, string tenantId, decimal amount, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Budget alert: {TenantId}/{UserId} crossed {Threshold:P0} of its budget in {PeriodKey} ({Spent} of {Limit} credits spent)")]
    private static partial void LogAlert(ILogger logger, string tenantId, string? userId, double threshold, decimal spent, decimal limit, string periodKey);

    [LoggerMessage(Level = LogLevel.Error, Message = "A budget alert handler for {TenantId} threw")]
    private static partial void LogAlertHandlerFailed(ILogger logger, Exception exception, string tenantId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Budget override for {TenantId}/{UserId} set to {Budget} credits per period")]
    private static partial void LogOverride(ILogger logger, string tenantId, string? userId, decimal? budget);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Budget period {PeriodKey} of {TenantId} reset by an administrator")]
    private static partial void LogReset(ILogger logger, string tenantId, string periodKey);
}
