namespace FlexiDiT.Governance.Ledger;

/// <summary>
/// Durable storage for budgets: usage per (tenant, user, period), reservations, limit overrides and fired alerts.
/// Amounts are integer micro-credits (1 credit = 1,000,000) so sums are exact in every database.
/// </summary>
/// <remarks>
/// <para>
/// The contract is written so that several replicas can share one store (e.g. a PostgreSQL implementation):
/// every method is one transaction, and every check-then-write (is there budget left? is the reservation still
/// held?) happens inside that transaction, serialized against other writers, never in the caller. Callers hold
/// no state between calls, and the store never reads a clock: times are passed in, so replicas agree on periods
/// and tests control time.
/// </para>
/// <para>
/// <see cref="SqliteBudgetStore"/> serves one machine; <see cref="PostgresBudgetStore"/> serves replicas on many.
/// <see cref="BudgetStoreFactory"/> picks one from a setting.
/// </para>
/// </remarks>
public interface IBudgetStore
{
    /// <summary>Creates or upgrades the schema. Idempotent and safe to call from several processes at once.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the store is ready.</returns>
    Task InitializeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Atomically checks that committed + reserved + the amount stays within the tenant's limit (and the user's,
    /// when the user has one) and, if so, holds the amount. Stored limit overrides take precedence over the limits
    /// in the command.
    /// </summary>
    /// <param name="command">What to reserve and against which limits.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>Whether the reservation was made, and the usage it was judged against.</returns>
    Task<StoreReserveOutcome> TryReserveAsync(ReserveCommand command, CancellationToken cancellationToken = default);

    /// <summary>
    /// Atomically turns a held reservation into spend: charges <paramref name="actualMicros"/> (at most the reserved
    /// amount) and releases the rest. A reservation that expired (was reclaimed) is still charged when the tenant's
    /// and user's budgets, as judged when it was made (or their overrides now), have room for the charge, since the
    /// work it paid for is done; a released or committed one is left alone.
    /// </summary>
    /// <param name="reservationId">The reservation.</param>
    /// <param name="actualMicros">The amount to charge.</param>
    /// <param name="now">The time of settlement.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What happened and the usage afterwards.</returns>
    Task<SettlementOutcome> CommitAsync(Guid reservationId, long actualMicros, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Atomically releases a held reservation without charging anything.</summary>
    /// <param name="reservationId">The reservation.</param>
    /// <param name="now">The time of settlement.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>What happened and the usage afterwards.</returns>
    Task<SettlementOutcome> ReleaseAsync(Guid reservationId, DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Atomically releases every held reservation whose expiry is at or before <paramref name="now"/>.</summary>
    /// <param name="now">The current time.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The reservations reclaimed, as they are now (state <see cref="ReservationState.Expired"/>).</returns>
    Task<IReadOnlyList<ReservationRecord>> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default);

    /// <summary>Reads a reservation.</summary>
    /// <param name="reservationId">The reservation.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The reservation, or <see langword="null"/> when there is none with that id.</returns>
    Task<ReservationRecord?> GetReservationAsync(Guid reservationId, CancellationToken cancellationToken = default);

    /// <summary>Reads one account's usage in a period, and its limit override, from one consistent snapshot.</summary>
    /// <param name="tenantId">The tenant.</param>
    /// <param name="userId">The user, or <see langword="null"/> for the tenant as a whole.</param>
    /// <param name="periodKey">The period.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The usage; zero when nothing was recorded.</returns>
    Task<AccountUsage> GetUsageAsync(string tenantId, string? userId, string periodKey, CancellationToken cancellationToken = default);

    /// <summary>Sets or clears (<see langword="null"/>) an account's limit override, which applies to every period until cleared.</summary>
    /// <param name="tenantId">The tenant.</param>
    /// <param name="userId">The user, or <see langword="null"/> for the tenant as a whole.</param>
    /// <param name="limitMicros">The new limit, or <see langword="null"/> to fall back to the policy's.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the override is stored.</returns>
    Task SetLimitOverrideAsync(string tenantId, string? userId, long? limitMicros, CancellationToken cancellationToken = default);

    /// <summary>
    /// Forgets a tenant's (and its users') spend in a period and the alerts fired in it. Held reservations stay
    /// held, so work in flight still settles against the reset period.
    /// </summary>
    /// <param name="tenantId">The tenant.</param>
    /// <param name="periodKey">The period.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A task that completes when the period is reset.</returns>
    Task ResetPeriodAsync(string tenantId, string periodKey, CancellationToken cancellationToken = default);

    /// <summary>Records that an alert threshold fired, unless it already did in that period.</summary>
    /// <param name="tenantId">The tenant.</param>
    /// <param name="userId">The user, or <see langword="null"/> for the tenant as a whole.</param>
    /// <param name="periodKey">The period.</param>
    /// <param name="threshold">The threshold, a fraction of the limit.</param>
    /// <param name="now">The time it fired.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns><see langword="true"/> when this call recorded it first, so exactly one replica raises the alert.</returns>
    Task<bool> TryRecordAlertAsync(string tenantId, string? userId, string periodKey, double threshold, DateTimeOffset now, CancellationToken cancellationToken = default);
}
