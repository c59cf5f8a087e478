namespace FlexiDiT.Governance.Ledger;

/// <summary>The SQLite ledger's tables. Amounts are integer micro-credits, times Unix milliseconds (UTC).</summary>
internal static class SqliteLedgerSchema
{
    public const int Version = 2;

    // user_id is '' for the tenant-wide row (and for reservations without a user): SQLite treats NULLs as distinct
    // in primary keys, which would let two tenant-wide rows coexist.
    public const string Create = """
        CREATE TABLE IF NOT EXISTS usage (
            tenant_id        TEXT    NOT NULL,
            user_id          TEXT    NOT NULL,
            period_key       TEXT    NOT NULL,
            committed_micros INTEGER NOT NULL DEFAULT 0 CHECK (committed_micros >= 0),
            reserved_micros  INTEGER NOT NULL DEFAULT 0 CHECK (reserved_micros >= 0),
            PRIMARY KEY (tenant_id, user_id, period_key)
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS reservations (
            id            TEXT    NOT NULL PRIMARY KEY,
            tenant_id     TEXT    NOT NULL,
            user_id       TEXT    NOT NULL,
            period_key    TEXT    NOT NULL,
            amount_micros INTEGER NOT NULL CHECK (amount_micros >= 0),
            created_at_ms INTEGER NOT NULL,
            expires_at_ms INTEGER NOT NULL,
            state         TEXT    NOT NULL CHECK (state IN ('held', 'committed', 'released', 'expired')),
            actual_micros INTEGER,
            settled_at_ms INTEGER,
            tenant_limit_micros INTEGER,
            user_limit_micros   INTEGER
        );

        CREATE INDEX IF NOT EXISTS reservations_held_by_expiry ON reservations (expires_at_ms) WHERE state = 'held';

        CREATE TABLE IF NOT EXISTS limit_overrides (
            tenant_id    TEXT    NOT NULL,
            user_id      TEXT    NOT NULL,
            limit_micros INTEGER NOT NULL CHECK (limit_micros >= 0),
            PRIMARY KEY (tenant_id, user_id)
        ) WITHOUT ROWID;

        CREATE TABLE IF NOT EXISTS alerts_fired (
            tenant_id     TEXT    NOT NULL,
            user_id       TEXT    NOT NULL,
            period_key    TEXT    NOT NULL,
            threshold_ppm INTEGER NOT NULL,
            fired_at_ms   INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, user_id, period_key, threshold_ppm)
        ) WITHOUT ROWID;
        """;

    // Version 2 remembers the policy limits a reservation was judged against, so a commit that arrives after the
    // hold expired can be charged if those limits still allow it.
    public const string MigrateFrom1 = """
        ALTER TABLE reservations ADD COLUMN tenant_limit_micros INTEGER;
        ALTER TABLE reservations ADD COLUMN user_limit_micros INTEGER;
        """;
}
