using System.Data;
using Npgsql;

namespace FlexiDiT.Governance.Ledger;

/// <summary>
/// An <see cref="IBudgetStore"/> in a PostgreSQL database, shared by any number of processes on any number of
/// machines (replicas behind a load balancer).
/// </summary>
/// <remarks>
/// <para>
/// Each operation is one READ COMMITTED transaction that locks the rows it judges before reading them: usage rows
/// are created if missing (<c>INSERT ... ON CONFLICT DO NOTHING</c>) and then locked with <c>SELECT ... FOR UPDATE</c>,
/// reservations with <c>FOR UPDATE</c> (or <c>SKIP LOCKED</c> when sweeping). Two replicas can therefore never both
/// read the same balance and both succeed. Rows are always locked in one order (reservation, then the tenant's row,
/// then the user's), and a transaction that PostgreSQL still aborts for a deadlock or serialization failure is
/// retried from the start, up to <see cref="PostgresBudgetStoreOptions.MaxRetries"/> times.
/// </para>
/// <para>
/// The schema is created and migrated by <see cref="InitializeAsync"/> under an advisory lock, so replicas may start
/// together. Tables live in the connection's search path (set <c>Search Path</c> in the connection string to use a
/// schema of their own).
/// </para>
/// </remarks>
public sealed class PostgresBudgetStore : IBudgetStore, IAsyncDisposable, IDisposable
{
    private const string NoUser = "";
    private const string ReservationColumns =
        "id, tenant_id, user_id, period_key, amount_micros, created_at, expires_at, state, actual_micros, settled_at, tenant_limit_micros, user_limit_micros";

    private readonly NpgsqlDataSource dataSource;
    private readonly int maxRetries;

    /// <summary>Initializes a new instance of the <see cref="PostgresBudgetStore"/> class; nothing is opened yet.</summary>
    /// <param name="options">The options.</param>
    /// <exception cref="ArgumentException">The connection string is missing or not an Npgsql connection string.</exception>
    public PostgresBudgetStore(PostgresBudgetStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        maxRetries = options.MaxRetries;
        dataSource = NpgsqlDataSource.Create(options.ConnectionString);
    }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default) =>
        RunAsync(
            async (connection, tx, ct) =>
            {
                await ExecuteAsync(connection, tx, "SELECT pg_advisory_xact_lock(hashtext(current_schema() || @key));", ct, ("key", PostgresLedgerSchema.LockKey)).ConfigureAwait(false);
                await ExecuteAsync(connection, tx, PostgresLedgerSchema.CreateVersionTable, ct).ConfigureAwait(false);
                var found = await ScalarAsync(connection, tx, "SELECT max(version) FROM ledger_schema_version;", ct).ConfigureAwait(false);
                var version = found is int v ? v : 0;
                if (version > PostgresLedgerSchema.Version)
                {
                    throw new InvalidOperationException(
                        $"the PostgreSQL ledger has schema {version}, newer than this version understands ({PostgresLedgerSchema.Version}); upgrade this replica");
                }

                for (var next = version; next < PostgresLedgerSchema.Version; next++)
                {
                    await ExecuteAsync(connection, tx, PostgresLedgerSchema.Migrations[next], ct).ConfigureAwait(false);
                    await ExecuteAsync(connection, tx, "INSERT INTO ledger_schema_version (version) VALUES (@v);", ct, ("v", next + 1)).ConfigureAwait(false);
                }

                await tx.CommitAsync(ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<StoreReserveOutcome> TryReserveAsync(ReserveCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentOutOfRangeException.ThrowIfNegative(command.AmountMicros, nameof(command));
        return RunAsync(
            async (connection, tx, ct) =>
            {
                var (tenant, user) = await LockUsageAsync(connection, tx, command.TenantId, command.UserId, command.PeriodKey, create: true, ct).ConfigureAwait(false);
                var tenantLimit = tenant.LimitOverrideMicros ?? command.TenantLimitMicros;
                long? userLimit = user is null ? null : user.LimitOverrideMicros ?? command.UserLimitMicros;
                var deniedBy = LedgerRules.DeniedBy(tenant, tenantLimit, user, userLimit, command.AmountMicros);
                if (deniedBy is not null)
                {
                    // Rolling back also drops the empty usage rows this transaction created.
                    await tx.RollbackAsync(ct).ConfigureAwait(false);
                    return new StoreReserveOutcome(false, deniedBy, tenant, user, tenantLimit, userLimit);
                }

                await ExecuteAsync(
                    connection,
                    tx,
                    """
                    UPDATE usage SET reserved_micros = reserved_micros + @amount
                    WHERE tenant_id = @tenant AND period_key = @period AND user_id = ANY(@users);
                    """,
                    ct,
                    ("amount", command.AmountMicros),
                    ("tenant", command.TenantId),
                    ("period", command.PeriodKey),
                    ("users", Accounts(command.UserId))).ConfigureAwait(false);
                await ExecuteAsync(
                    connection,
                    tx,
                    $"""
                    INSERT INTO reservations ({ReservationColumns})
                    VALUES (@id, @tenant, @user, @period, @amount, @created, @expires, 'held', NULL, NULL, @tenantLimit, @userLimit);
                    """,
                    ct,
                    ("id", command.ReservationId),
                    ("tenant", command.TenantId),
                    ("user", command.UserId ?? NoUser),
                    ("period", command.PeriodKey),
                    ("amount", command.AmountMicros),
                    ("created", command.CreatedAt.ToUniversalTime()),
                    ("expires", command.ExpiresAt.ToUniversalTime()),
                    ("tenantLimit", command.TenantLimitMicros),
                    ("userLimit", command.UserLimitMicros is { } limit ? limit : DBNull.Value)).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);

                return new StoreReserveOutcome(
                    true,
                    null,
                    tenant with { ReservedMicros = tenant.ReservedMicros + command.AmountMicros },
                    user is null ? null : user with { ReservedMicros = user.ReservedMicros + command.AmountMicros },
                    tenantLimit,
                    userLimit);
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<SettlementOutcome> CommitAsync(Guid reservationId, long actualMicros, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actualMicros);
        return RunAsync((connection, tx, ct) => SettleAsync(connection, tx, reservationId, actualMicros, ReservationState.Committed, now, ct), cancellationToken);
    }

    /// <inheritdoc />
    public Task<SettlementOutcome> ReleaseAsync(Guid reservationId, DateTimeOffset now, CancellationToken cancellationToken = default) =>
        RunAsync((connection, tx, ct) => SettleAsync(connection, tx, reservationId, 0, ReservationState.Released, now, ct), cancellationToken);

    /// <inheritdoc />
    public Task<IReadOnlyList<ReservationRecord>> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default) =>
        RunAsync<IReadOnlyList<ReservationRecord>>(
            async (connection, tx, ct) =>
            {
                // SKIP LOCKED: a reservation being committed right now is that replica's business; and two sweeping
                // replicas split the expired holds between them instead of queueing behind each other.
                var expired = await ReadReservationsAsync(
                    connection,
                    tx,
                    $"SELECT {ReservationColumns} FROM reservations WHERE state = 'held' AND expires_at <= @now FOR UPDATE SKIP LOCKED;",
                    ct,
                    ("now", now.ToUniversalTime())).ConfigureAwait(false);

                // Usage rows are locked in key order, as every other transaction does, so sweeps cannot deadlock them.
                var reclaimed = new List<ReservationRecord>(expired.Count);
                foreach (var (r, _, _) in expired.OrderBy(e => e.Record.TenantId, StringComparer.Ordinal).ThenBy(e => e.Record.PeriodKey, StringComparer.Ordinal).ThenBy(e => e.Record.UserId, StringComparer.Ordinal))
                {
                    await ReleaseHoldAsync(connection, tx, r, 0, ReservationState.Expired, now, ct).ConfigureAwait(false);
                    reclaimed.Add(r with { State = ReservationState.Expired, SettledAt = now });
                }

                await tx.CommitAsync(ct).ConfigureAwait(false);
                return reclaimed.OrderBy(r => r.ExpiresAt).ToList();
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<ReservationRecord?> GetReservationAsync(Guid reservationId, CancellationToken cancellationToken = default) =>
        RunAsync(
            async (connection, tx, ct) =>
            {
                var found = await ReadReservationsAsync(connection, tx, $"SELECT {ReservationColumns} FROM reservations WHERE id = @id;", ct, ("id", reservationId)).ConfigureAwait(false);
                return found.Count == 0 ? null : found[0].Record;
            },
            cancellationToken);

    /// <inheritdoc />
    public Task<AccountUsage> GetUsageAsync(string tenantId, string? userId, string periodKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(periodKey);

        // One statement reads from one snapshot.
        return RunAsync((connection, tx, ct) => ReadUsageAsync(connection, tx, tenantId, userId ?? NoUser, periodKey, ct), cancellationToken);
    }

    /// <inheritdoc />
    public Task SetLimitOverrideAsync(string tenantId, string? userId, long? limitMicros, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        if (limitMicros is { } l)
        {
            ArgumentOutOfRangeException.ThrowIfNegative(l, nameof(limitMicros));
        }

        return RunAsync(
            async (connection, tx, ct) =>
            {
                if (limitMicros is { } limit)
                {
                    await ExecuteAsync(
                        connection,
                        tx,
                        """
                        INSERT INTO limit_overrides (tenant_id, user_id, limit_micros) VALUES (@tenant, @user, @limit)
                        ON CONFLICT (tenant_id, user_id) DO UPDATE SET limit_micros = excluded.limit_micros;
                        """,
                        ct,
                        ("tenant", tenantId),
                        ("user", userId ?? NoUser),
                        ("limit", limit)).ConfigureAwait(false);
                }
                else
                {
                    await ExecuteAsync(
                        connection,
                        tx,
                        "DELETE FROM limit_overrides WHERE tenant_id = @tenant AND user_id = @user;",
                        ct,
                        ("tenant", tenantId),
                        ("user", userId ?? NoUser)).ConfigureAwait(false);
                }

                await tx.CommitAsync(ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task ResetPeriodAsync(string tenantId, string periodKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(periodKey);
        return RunAsync(
            async (connection, tx, ct) =>
            {
                (string, object)[] keys = [("tenant", tenantId), ("period", periodKey)];
                await ExecuteAsync(connection, tx, "UPDATE usage SET committed_micros = 0 WHERE tenant_id = @tenant AND period_key = @period;", ct, keys).ConfigureAwait(false);
                await ExecuteAsync(connection, tx, "DELETE FROM alerts_fired WHERE tenant_id = @tenant AND period_key = @period;", ct, keys).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                return true;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public Task<bool> TryRecordAlertAsync(string tenantId, string? userId, string periodKey, double threshold, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(periodKey);
        return RunAsync(
            async (connection, tx, ct) =>
            {
                var inserted = await ExecuteAsync(
                    connection,
                    tx,
                    """
                    INSERT INTO alerts_fired (tenant_id, user_id, period_key, threshold_ppm, fired_at)
                    VALUES (@tenant, @user, @period, @ppm, @now)
                    ON CONFLICT DO NOTHING;
                    """,
                    ct,
                    ("tenant", tenantId),
                    ("user", userId ?? NoUser),
                    ("period", periodKey),
                    // Thresholds are keyed in parts per million: floating-point keys would not compare reliably.
                    ("ppm", (long)Math.Round(threshold * 1_000_000)),
                    ("now", now.ToUniversalTime())).ConfigureAwait(false);
                await tx.CommitAsync(ct).ConfigureAwait(false);
                return inserted == 1;
            },
            cancellationToken);
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => dataSource.DisposeAsync();

    /// <inheritdoc />
    public void Dispose() => dataSource.Dispose();

    private static async Task<SettlementOutcome> SettleAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, Guid reservationId, long actualMicros, ReservationState target, DateTimeOffset now, CancellationToken ct)
    {
        var found = await ReadReservationsAsync(connection, tx, $"SELECT {ReservationColumns} FROM reservations WHERE id = @id FOR UPDATE;", ct, ("id", reservationId)).ConfigureAwait(false);
        if (found.Count == 0)
        {
            return new SettlementOutcome(SettlementStatus.NotFound, null, null, null);
        }

        var (reservation, tenantLimit, userLimit) = found[0];
        var late = reservation.State == ReservationState.Expired && target == ReservationState.Committed;
        if (reservation.State != ReservationState.Held && !late)
        {
            return new SettlementOutcome(SettlementStatus.NotHeld, reservation, null, null);
        }

        if (actualMicros > reservation.AmountMicros)
        {
            return new SettlementOutcome(SettlementStatus.ExceedsReservation, reservation, null, null);
        }

        if (late)
        {
            // The hold was reclaimed but the work is done: charge it if the budget (the limits it was judged
            // against, or an override now) still has room, as if it had been reserved again just now.
            var (tenantNow, userNow) = await LockUsageAsync(connection, tx, reservation.TenantId, reservation.UserId, reservation.PeriodKey, create: false, ct).ConfigureAwait(false);
            var denied = LedgerRules.DeniedBy(
                tenantNow, tenantNow.LimitOverrideMicros ?? tenantLimit, userNow, userNow?.LimitOverrideMicros ?? userLimit, actualMicros);
            if (denied is not null)
            {
                return new SettlementOutcome(SettlementStatus.NotHeld, reservation, null, null);
            }
        }

        await ReleaseHoldAsync(connection, tx, reservation, actualMicros, target, now, ct).ConfigureAwait(false);
        var tenant = await ReadUsageAsync(connection, tx, reservation.TenantId, NoUser, reservation.PeriodKey, ct).ConfigureAwait(false);
        var user = reservation.UserId is { } u ? await ReadUsageAsync(connection, tx, reservation.TenantId, u, reservation.PeriodKey, ct).ConfigureAwait(false) : null;
        await tx.CommitAsync(ct).ConfigureAwait(false);

        var settled = reservation with
        {
            State = target,
            ActualMicros = target == ReservationState.Committed ? actualMicros : null,
            SettledAt = now,
        };
        return new SettlementOutcome(SettlementStatus.Settled, settled, tenant, user);
    }

    // Charges actualMicros and, for a reservation still held, moves its amount out of "reserved"; records the new state.
    private static async Task ReleaseHoldAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, ReservationRecord r, long actualMicros, ReservationState target, DateTimeOffset now, CancellationToken ct)
    {
        var reserved = r.State == ReservationState.Held ? r.AmountMicros : 0;
        var accounts = Accounts(r.UserId);
        var updated = await ExecuteAsync(
            connection,
            tx,
            """
            UPDATE usage SET
                reserved_micros = reserved_micros - @reserved,
                committed_micros = committed_micros + @charged
            WHERE tenant_id = @tenant AND period_key = @period AND user_id = ANY(@users);
            """,
            ct,
            ("reserved", reserved),
            ("charged", actualMicros),
            ("tenant", r.TenantId),
            ("period", r.PeriodKey),
            ("users", accounts)).ConfigureAwait(false);
        if (updated != accounts.Length)
        {
            throw new InvalidOperationException($"the ledger has a reservation but no usage row for {r.TenantId}/{r.UserId} in {r.PeriodKey}");
        }

        await ExecuteAsync(
            connection,
            tx,
            "UPDATE reservations SET state = @state, actual_micros = @actual, settled_at = @now WHERE id = @id;",
            ct,
            ("state", ReservationStateNames.Name(target)),
            ("actual", target == ReservationState.Committed ? actualMicros : DBNull.Value),
            ("now", now.ToUniversalTime()),
            ("id", r.Id)).ConfigureAwait(false);
    }

    // Locks the tenant's usage row and then the user's (the key order every transaction uses), creating them first
    // when asked, and reads them with their limit overrides.
    private static async Task<(AccountUsage Tenant, AccountUsage? User)> LockUsageAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, string tenantId, string? userId, string periodKey, bool create, CancellationToken ct)
    {
        var accounts = Accounts(userId);
        if (create)
        {
            foreach (var account in accounts)
            {
                await ExecuteAsync(
                    connection,
                    tx,
                    "INSERT INTO usage (tenant_id, period_key, user_id) VALUES (@tenant, @period, @user) ON CONFLICT DO NOTHING;",
                    ct,
                    ("tenant", tenantId),
                    ("period", periodKey),
                    ("user", account)).ConfigureAwait(false);
            }
        }

        await ExecuteAsync(
            connection,
            tx,
            "SELECT 1 FROM usage WHERE tenant_id = @tenant AND period_key = @period AND user_id = ANY(@users) ORDER BY user_id FOR UPDATE;",
            ct,
            ("tenant", tenantId),
            ("period", periodKey),
            ("users", accounts)).ConfigureAwait(false);
        var tenant = await ReadUsageAsync(connection, tx, tenantId, NoUser, periodKey, ct).ConfigureAwait(false);
        var user = userId is null ? null : await ReadUsageAsync(connection, tx, tenantId, userId, periodKey, ct).ConfigureAwait(false);
        return (tenant, user);
    }

    private static async Task<AccountUsage> ReadUsageAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string tenantId, string userId, string periodKey, CancellationToken ct)
    {
        await using var command = Command(
            connection,
            tx,
            """
            SELECT
                (SELECT committed_micros FROM usage WHERE tenant_id = @tenant AND user_id = @user AND period_key = @period),
                (SELECT reserved_micros FROM usage WHERE tenant_id = @tenant AND user_id = @user AND period_key = @period),
                (SELECT limit_micros FROM limit_overrides WHERE tenant_id = @tenant AND user_id = @user);
            """,
            ("tenant", tenantId),
            ("user", userId),
            ("period", periodKey));
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        await reader.ReadAsync(ct).ConfigureAwait(false);
        return new AccountUsage(
            reader.IsDBNull(0) ? 0 : reader.GetInt64(0),
            reader.IsDBNull(1) ? 0 : reader.GetInt64(1),
            reader.IsDBNull(2) ? null : reader.GetInt64(2));
    }

    private static async Task<List<(ReservationRecord Record, long TenantLimit, long? UserLimit)>> ReadReservationsAsync(
        NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
        var list = new List<(ReservationRecord, long, long?)>();
        while (await reader.ReadAsync(ct).ConfigureAwait(false))
        {
            var user = reader.GetString(2);
            list.Add((
                new ReservationRecord(
                    reader.GetGuid(0),
                    reader.GetString(1),
                    user.Length == 0 ? null : user,
                    reader.GetString(3),
                    reader.GetInt64(4),
                    reader.GetFieldValue<DateTimeOffset>(5),
                    reader.GetFieldValue<DateTimeOffset>(6),
                    ReservationStateNames.Parse(reader.GetString(7)),
                    reader.IsDBNull(8) ? null : reader.GetInt64(8),
                    reader.IsDBNull(9) ? null : reader.GetFieldValue<DateTimeOffset>(9)),
                reader.GetInt64(10),
                reader.IsDBNull(11) ? null : reader.GetInt64(11)));
        }

        return list;
    }

    // One transaction per attempt; deadlocks (40P01) and serialization failures (40001) roll it back and run it
    // again from the start, since nothing it read still holds.
    private async Task<T> RunAsync<T>(Func<NpgsqlConnection, NpgsqlTransaction, CancellationToken, Task<T>> body, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var tx = await connection.BeginTransactionAsync(IsolationLevel.ReadCommitted, cancellationToken).ConfigureAwait(false);
            try
            {
                return await body(connection, tx, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.SerializationFailure or PostgresErrorCodes.DeadlockDetected && attempt < maxRetries)
            {
                // Back off a little, at random, so the transactions that collided do not collide again.
                await Task.Delay(TimeSpan.FromMilliseconds(Random.Shared.Next(1, 10 * (attempt + 1))), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private static string[] Accounts(string? userId) => userId is null ? [NoUser] : [NoUser, userId];

    private static NpgsqlCommand Command(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, params (string Name, object Value)[] parameters)
    {
        var command = new NpgsqlCommand(sql, connection, tx);
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct, params (string Name, object Value)[] parameters)
    {
        await using var command = Command(connection, tx, sql, parameters);
        return await command.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
    }

    private static async Task<object?> ScalarAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string sql, CancellationToken ct)
    {
        await using var command = Command(connection, tx, sql);
        return await command.ExecuteScalarAsync(ct).ConfigureAwait(false);
    }
}
