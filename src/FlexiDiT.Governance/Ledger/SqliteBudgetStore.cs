using System.Data;
using System.Globalization;
using Microsoft.Data.Sqlite;

namespace FlexiDiT.Governance.Ledger;

/// <summary>
/// An <see cref="IBudgetStore"/> in one SQLite file, safe for many threads and processes on one machine.
/// </summary>
/// <remarks>
/// <para>
/// Each operation opens its own connection and runs in one <c>BEGIN IMMEDIATE</c> transaction, which takes the
/// database's write lock up front: two reservations can never both read the same balance and both succeed.
/// Writers queue on the lock for up to <see cref="SqliteBudgetStoreOptions.BusyTimeout"/>. The journal is in WAL
/// mode, so readers do not block the writer, and a process killed mid-transaction leaves no trace.
/// </para>
/// <para>
/// Microsoft.Data.Sqlite has no truly asynchronous I/O; the asynchronous methods complete synchronously, which is
/// fine for transactions this short.
/// </para>
/// <para>
/// Connections are pooled per file and stay open between operations. Disposing the store closes the idle ones of this
/// file only, so the file can be moved or deleted; other files' pools are left alone.
/// </para>
/// </remarks>
public sealed class SqliteBudgetStore : IBudgetStore, IDisposable
{
    private const string NoUser = "";
    private readonly string connectionString;
    private readonly int busyTimeoutMs;

    /// <summary>Initializes a new instance of the <see cref="SqliteBudgetStore"/> class; nothing is opened yet.</summary>
    /// <param name="options">The options.</param>
    public SqliteBudgetStore(SqliteBudgetStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        DatabasePath = Path.GetFullPath(options.DatabasePath);
        busyTimeoutMs = (int)options.BusyTimeout.TotalMilliseconds;
        connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = DatabasePath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = options.Pooling,

            // Microsoft.Data.Sqlite also retries SQLITE_BUSY itself until the command timeout; keep both in step.
            DefaultTimeout = Math.Max(1, (int)Math.Ceiling(options.BusyTimeout.TotalSeconds)),
        }.ToString();
    }

    /// <summary>Gets the full path of the database file.</summary>
    public string DatabasePath { get; }

    /// <inheritdoc />
    public Task InitializeAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        using var connection = Open();

        // WAL is a property of the file, so setting it once sticks; it cannot be changed inside a transaction.
        var mode = Scalar<string>(connection, null, "PRAGMA journal_mode = WAL;");
        if (!string.Equals(mode, "wal", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException($"SQLite refused WAL mode for {DatabasePath} (journal mode is '{mode}')");
        }

        using var tx = BeginImmediate(connection);
        var version = Scalar<long>(connection, tx, "PRAGMA user_version;");
        if (version > SqliteLedgerSchema.Version)
        {
            throw new InvalidOperationException(
                $"{DatabasePath} has ledger schema {version}, newer than this version understands ({SqliteLedgerSchema.Version})");
        }

        if (version == 1)
        {
            Execute(connection, tx, SqliteLedgerSchema.MigrateFrom1);
        }

        Execute(connection, tx, SqliteLedgerSchema.Create);
        Execute(connection, tx, $"PRAGMA user_version = {SqliteLedgerSchema.Version};");
        tx.Commit();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<StoreReserveOutcome> TryReserveAsync(ReserveCommand command, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentOutOfRangeException.ThrowIfNegative(command.AmountMicros, nameof(command));
        cancellationToken.ThrowIfCancellationRequested();

        using var connection = Open();
        using var tx = BeginImmediate(connection);
        var tenant = ReadUsage(connection, tx, command.TenantId, NoUser, command.PeriodKey);
        var tenantLimit = tenant.LimitOverrideMicros ?? command.TenantLimitMicros;
        AccountUsage? user = null;
        long? userLimit = null;
        if (command.UserId is { } userId)
        {
            user = ReadUsage(connection, tx, command.TenantId, userId, command.PeriodKey);
            userLimit = user.LimitOverrideMicros ?? command.UserLimitMicros;
        }

        var deniedBy = LedgerRules.DeniedBy(tenant, tenantLimit, user, userLimit, command.AmountMicros);
        if (deniedBy is not null)
        {
            // Nothing was written; rolling back just ends the transaction.
            return Task.FromResult(new StoreReserveOutcome(false, deniedBy, tenant, user, tenantLimit, userLimit));
        }

        HoldInUsage(connection, tx, command.TenantId, NoUser, command.PeriodKey, command.AmountMicros);
        if (command.UserId is not null)
        {
            HoldInUsage(connection, tx, command.TenantId, command.UserId, command.PeriodKey, command.AmountMicros);
        }

        Execute(
            connection,
            tx,
            """
            INSERT INTO reservations (id, tenant_id, user_id, period_key, amount_micros, created_at_ms, expires_at_ms, state, tenant_limit_micros, user_limit_micros)
            VALUES ($id, $tenant, $user, $period, $amount, $created, $expires, 'held', $tenantLimit, $userLimit);
            """,
            ("$id", Key(command.ReservationId)),
            ("$tenant", command.TenantId),
            ("$user", command.UserId ?? NoUser),
            ("$period", command.PeriodKey),
            ("$amount", command.AmountMicros),
            ("$created", command.CreatedAt.ToUnixTimeMilliseconds()),
            ("$expires", command.ExpiresAt.ToUnixTimeMilliseconds()),
            ("$tenantLimit", command.TenantLimitMicros),
            ("$userLimit", command.UserLimitMicros is { } limit ? limit : DBNull.Value));
        tx.Commit();

        return Task.FromResult(new StoreReserveOutcome(
            true,
            null,
            tenant with { ReservedMicros = tenant.ReservedMicros + command.AmountMicros },
            user is null ? null : user with { ReservedMicros = user.ReservedMicros + command.AmountMicros },
            tenantLimit,
            userLimit));
    }

    /// <inheritdoc />
    public Task<SettlementOutcome> CommitAsync(Guid reservationId, long actualMicros, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(actualMicros);
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Settle(reservationId, actualMicros, ReservationState.Committed, now));
    }

    /// <inheritdoc />
    public Task<SettlementOutcome> ReleaseAsync(Guid reservationId, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Task.FromResult(Settle(reservationId, 0, ReservationState.Released, now));
    }

    /// <inheritdoc />
    public Task<IReadOnlyList<ReservationRecord>> ReclaimExpiredAsync(DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();
        using var tx = BeginImmediate(connection);
        var expired = ReadReservations(
            connection,
            tx,
            "SELECT * FROM reservations WHERE state = 'held' AND expires_at_ms <= $now ORDER BY expires_at_ms;",
            ("$now", now.ToUnixTimeMilliseconds()));

        var reclaimed = new List<ReservationRecord>(expired.Count);
        foreach (var r in expired)
        {
            Release(connection, tx, r, 0, ReservationState.Expired, now);
            reclaimed.Add(r with { State = ReservationState.Expired, SettledAt = now });
        }

        tx.Commit();
        return Task.FromResult<IReadOnlyList<ReservationRecord>>(reclaimed);
    }

    /// <inheritdoc />
    public Task<ReservationRecord?> GetReservationAsync(Guid reservationId, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();
        return Task.FromResult(FindReservation(connection, null, reservationId));
    }

    /// <inheritdoc />
    public Task<AccountUsage> GetUsageAsync(string tenantId, string? userId, string periodKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(periodKey);
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();

        // A deferred transaction gives one snapshot for the usage row and the override.
        using var tx = connection.BeginTransaction(IsolationLevel.Serializable, deferred: true);
        return Task.FromResult(ReadUsage(connection, tx, tenantId, userId ?? NoUser, periodKey));
    }

    /// <inheritdoc />
    public Task SetLimitOverrideAsync(string tenantId, string? userId, long? limitMicros, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        if (limitMicros is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(limitMicros), limitMicros, "must not be negative");
        }

        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();
        using var tx = BeginImmediate(connection);
        if (limitMicros is { } limit)
        {
            Execute(
                connection,
                tx,
                """
                INSERT INTO limit_overrides (tenant_id, user_id, limit_micros) VALUES ($tenant, $user, $limit)
                ON CONFLICT (tenant_id, user_id) DO UPDATE SET limit_micros = excluded.limit_micros;
                """,
                ("$tenant", tenantId),
                ("$user", userId ?? NoUser),
                ("$limit", limit));
        }
        else
        {
            Execute(
                connection,
                tx,
                "DELETE FROM limit_overrides WHERE tenant_id = $tenant AND user_id = $user;",
                ("$tenant", tenantId),
                ("$user", userId ?? NoUser));
        }

        tx.Commit();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task ResetPeriodAsync(string tenantId, string periodKey, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(periodKey);
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();
        using var tx = BeginImmediate(connection);
        (string, object)[] keys = [("$tenant", tenantId), ("$period", periodKey)];
        Execute(connection, tx, "UPDATE usage SET committed_micros = 0 WHERE tenant_id = $tenant AND period_key = $period;", keys);
        Execute(connection, tx, "DELETE FROM alerts_fired WHERE tenant_id = $tenant AND period_key = $period;", keys);
        tx.Commit();
        return Task.CompletedTask;
    }

    /// <inheritdoc />
    public Task<bool> TryRecordAlertAsync(string tenantId, string? userId, string periodKey, double threshold, DateTimeOffset now, CancellationToken cancellationToken = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(tenantId);
        ArgumentException.ThrowIfNullOrEmpty(periodKey);
        cancellationToken.ThrowIfCancellationRequested();
        using var connection = Open();
        using var tx = BeginImmediate(connection);
        var inserted = Execute(
            connection,
            tx,
            """
            INSERT INTO alerts_fired (tenant_id, user_id, period_key, threshold_ppm, fired_at_ms)
            VALUES ($tenant, $user, $period, $ppm, $now)
            ON CONFLICT DO NOTHING;
            """,
            ("$tenant", tenantId),
            ("$user", userId ?? NoUser),
            ("$period", periodKey),
            // Thresholds are keyed in parts per million: floating-point keys would not compare reliably.
            ("$ppm", (long)Math.Round(threshold * 1_000_000)),
            ("$now", now.ToUnixTimeMilliseconds()));
        tx.Commit();
        return Task.FromResult(inserted == 1);
    }

    /// <summary>Closes the pooled connections to this store's file; call it once nothing uses the store any more.</summary>
    /// <remarks>
    /// Only this file's pool is cleared: <see cref="SqliteConnection.ClearAllPools"/> clears every file in the process,
    /// and Microsoft.Data.Sqlite can then dispose the handle of a connection another thread is just opening.
    /// </remarks>
    public void Dispose()
    {
        // The pool is keyed by the connection string, so a connection that is never opened names it.
        using var pooled = new SqliteConnection(connectionString);
        SqliteConnection.ClearPool(pooled);
    }

    private SettlementOutcome Settle(Guid reservationId, long actualMicros, ReservationState target, DateTimeOffset now)
    {
        using var connection = Open();
        using var tx = BeginImmediate(connection);
        var reservation = FindReservation(connection, tx, reservationId);
        if (reservation is null)
        {
            return new SettlementOutcome(SettlementStatus.NotFound, null, null, null);
        }

        if (reservation.State is not (ReservationState.Held or ReservationState.Expired)
            || (reservation.State == ReservationState.Expired && target != ReservationState.Committed))
        {
            return new SettlementOutcome(SettlementStatus.NotHeld, reservation, null, null);
        }

        if (actualMicros > reservation.AmountMicros)
        {
            return new SettlementOutcome(SettlementStatus.ExceedsReservation, reservation, null, null);
        }

        if (reservation.State == ReservationState.Expired)
        {
            if (!TryChargeLate(connection, tx, reservation, actualMicros, now))
            {
                return new SettlementOutcome(SettlementStatus.NotHeld, reservation, null, null);
            }
        }
        else
        {
            Release(connection, tx, reservation, actualMicros, target, now);
        }

        var tenant = ReadUsage(connection, tx, reservation.TenantId, NoUser, reservation.PeriodKey);
        var user = reservation.UserId is { } u ? ReadUsage(connection, tx, reservation.TenantId, u, reservation.PeriodKey) : null;
        tx.Commit();

        var settled = reservation with
        {
            State = target,
            ActualMicros = target == ReservationState.Committed ? actualMicros : null,
            SettledAt = now,
        };
        return new SettlementOutcome(SettlementStatus.Settled, settled, tenant, user);
    }

    // A commit after the hold was reclaimed: the work is done, so charge it when the budget (as judged at reservation
    // time, or the override now) still has room, as if it had been reserved again just now.
    private static bool TryChargeLate(SqliteConnection connection, SqliteTransaction tx, ReservationRecord r, long actualMicros, DateTimeOffset now)
    {
        using var limits = Command(
            connection,
            tx,
            "SELECT tenant_limit_micros, user_limit_micros FROM reservations WHERE id = $id;",
            ("$id", Key(r.Id)));
        using var reader = limits.ExecuteReader();
        reader.Read();
        if (reader.IsDBNull(0))
        {
            // Reserved before the ledger remembered limits: there is nothing to judge a late charge against.
            return false;
        }

        long? policyUserLimit = reader.IsDBNull(1) ? null : reader.GetInt64(1);
        var tenant = ReadUsage(connection, tx, r.TenantId, NoUser, r.PeriodKey);
        var user = r.UserId is { } u ? ReadUsage(connection, tx, r.TenantId, u, r.PeriodKey) : null;
        if (LedgerRules.DeniedBy(tenant, tenant.LimitOverrideMicros ?? reader.GetInt64(0), user, user?.LimitOverrideMicros ?? policyUserLimit, actualMicros) is not null)
        {
            return false;
        }

        SettleUsage(connection, tx, r.TenantId, NoUser, r.PeriodKey, 0, actualMicros);
        if (r.UserId is not null)
        {
            SettleUsage(connection, tx, r.TenantId, r.UserId, r.PeriodKey, 0, actualMicros);
        }

        Execute(
            connection,
            tx,
            "UPDATE reservations SET state = 'committed', actual_micros = $actual, settled_at_ms = $now WHERE id = $id AND state = 'expired';",
            ("$actual", actualMicros),
            ("$now", now.ToUnixTimeMilliseconds()),
            ("$id", Key(r.Id)));
        return true;
    }

    // Moves a held reservation's amount out of "reserved", charging actualMicros of it, and records the new state.
    private static void Release(SqliteConnection connection, SqliteTransaction tx, ReservationRecord r, long actualMicros, ReservationState target, DateTimeOffset now)
    {
        SettleUsage(connection, tx, r.TenantId, NoUser, r.PeriodKey, r.AmountMicros, actualMicros);
        if (r.UserId is not null)
        {
            SettleUsage(connection, tx, r.TenantId, r.UserId, r.PeriodKey, r.AmountMicros, actualMicros);
        }

        Execute(
            connection,
            tx,
            "UPDATE reservations SET state = $state, actual_micros = $actual, settled_at_ms = $now WHERE id = $id AND state = 'held';",
            ("$state", ReservationStateNames.Name(target)),
            ("$actual", target == ReservationState.Committed ? actualMicros : DBNull.Value),
            ("$now", now.ToUnixTimeMilliseconds()),
            ("$id", Key(r.Id)));
    }

    // A plain UPDATE, not an upsert: SQLite checks CHECK constraints on an upsert's candidate row before it resolves
    // the conflict, so a negative delta would be refused. The row exists: the reservation created it.
    private static void SettleUsage(SqliteConnection connection, SqliteTransaction tx, string tenantId, string userId, string periodKey, long reservedMicros, long chargedMicros)
    {
        var updated = Execute(
            connection,
            tx,
            """
            UPDATE usage SET
                reserved_micros = reserved_micros - $reserved,
                committed_micros = committed_micros + $charged
            WHERE tenant_id = $tenant AND user_id = $user AND period_key = $period;
            """,
            ("$tenant", tenantId),
            ("$user", userId),
            ("$period", periodKey),
            ("$reserved", reservedMicros),
            ("$charged", chargedMicros));
        if (updated != 1)
        {
            throw new InvalidOperationException($"the ledger has a held reservation but no usage row for {tenantId}/{userId} in {periodKey}");
        }
    }

    private static void HoldInUsage(SqliteConnection connection, SqliteTransaction tx, string tenantId, string userId, string periodKey, long amountMicros) =>
        Execute(
            connection,
            tx,
            """
            INSERT INTO usage (tenant_id, user_id, period_key, committed_micros, reserved_micros)
            VALUES ($tenant, $user, $period, 0, $amount)
            ON CONFLICT (tenant_id, user_id, period_key) DO UPDATE SET
                reserved_micros = reserved_micros + excluded.reserved_micros;
            """,
            ("$tenant", tenantId),
            ("$user", userId),
            ("$period", periodKey),
            ("$amount", amountMicros));

    private static AccountUsage ReadUsage(SqliteConnection connection, SqliteTransaction? tx, string tenantId, string userId, string periodKey)
    {
        using var command = Command(
            connection,
            tx,
            """
            SELECT
                (SELECT committed_micros FROM usage WHERE tenant_id = $tenant AND user_id = $user AND period_key = $period),
                (SELECT reserved_micros FROM usage WHERE tenant_id = $tenant AND user_id = $user AND period_key = $period),
                (SELECT limit_micros FROM limit_overrides WHERE tenant_id = $tenant AND user_id = $user);
            """,
            ("$tenant", tenantId),
            ("$user", userId),
            ("$period", periodKey));
        using var reader = command.ExecuteReader();
        reader.Read();
        return new AccountUsage(
            reader.IsDBNull(0) ? 0 : reader.GetInt64(0),
            reader.IsDBNull(1) ? 0 : reader.GetInt64(1),
            reader.IsDBNull(2) ? null : reader.GetInt64(2));
    }

    private static ReservationRecord? FindReservation(SqliteConnection connection, SqliteTransaction? tx, Guid id) =>
        ReadReservations(connection, tx, "SELECT * FROM reservations WHERE id = $id;", ("$id", Key(id))).SingleOrDefault();

    private static List<ReservationRecord> ReadReservations(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, tx, sql, parameters);
        using var reader = command.ExecuteReader();
        var list = new List<ReservationRecord>();
        while (reader.Read())
        {
            var user = reader.GetString(reader.GetOrdinal("user_id"));
            var actual = reader.GetOrdinal("actual_micros");
            var settled = reader.GetOrdinal("settled_at_ms");
            list.Add(new ReservationRecord(
                Guid.Parse(reader.GetString(reader.GetOrdinal("id"))),
                reader.GetString(reader.GetOrdinal("tenant_id")),
                user.Length == 0 ? null : user,
                reader.GetString(reader.GetOrdinal("period_key")),
                reader.GetInt64(reader.GetOrdinal("amount_micros")),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("created_at_ms"))),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(reader.GetOrdinal("expires_at_ms"))),
                ReservationStateNames.Parse(reader.GetString(reader.GetOrdinal("state"))),
                reader.IsDBNull(actual) ? null : reader.GetInt64(actual),
                reader.IsDBNull(settled) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(settled))));
        }

        return list;
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();

            // Per connection: wait for the write lock instead of failing at once, and make each commit durable
            // before it returns, because a committed charge must survive a power cut.
            Execute(connection, null, $"PRAGMA busy_timeout = {busyTimeoutMs.ToString(CultureInfo.InvariantCulture)}; PRAGMA synchronous = FULL;");
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    // Microsoft.Data.Sqlite issues BEGIN IMMEDIATE for a serializable, non-deferred transaction: the write lock is
    // taken before the first read, so two writers can never both act on the same balance, and a writer never has to
    // upgrade a read lock (which in WAL mode fails with SQLITE_BUSY_SNAPSHOT instead of waiting).
    private static SqliteTransaction BeginImmediate(SqliteConnection connection) =>
        connection.BeginTransaction(IsolationLevel.Serializable, deferred: false);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        var command = connection.CreateCommand();
        command.Transaction = tx;
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        return command;
    }

    private static int Execute(SqliteConnection connection, SqliteTransaction? tx, string sql, params (string Name, object Value)[] parameters)
    {
        using var command = Command(connection, tx, sql, parameters);
        return command.ExecuteNonQuery();
    }

    private static T Scalar<T>(SqliteConnection connection, SqliteTransaction? tx, string sql)
    {
        using var command = Command(connection, tx, sql);
        return (T)Convert.ChangeType(command.ExecuteScalar()!, typeof(T), CultureInfo.InvariantCulture);
    }

    private static string Key(Guid id) => id.ToString("D");
}
