namespace FlexiDiT.Governance.Ledger;

/// <summary>
/// The PostgreSQL ledger's tables and the migrations between their versions. Amounts are integer micro-credits.
/// The version lives in <c>ledger_schema_version</c>; each entry of <see cref="Migrations"/> moves the schema up one.
/// </summary>
internal static class PostgresLedgerSchema
{
    // Taken with pg_advisory_xact_lock so replicas starting together migrate one after the other; the schema name
    // is mixed in so ledgers in different schemas of one database do not wait for each other.
    public const string LockKey = "flexidit.ledger.schema";

    public const string CreateVersionTable = """
        CREATE TABLE IF NOT EXISTS ledger_schema_version (
            version    integer     NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
        );
        """;

    // user_id is '' for the tenant-wide row (and for reservations without a user), as in the SQLite ledger, so one
    // primary key covers both and NULLs never make two tenant-wide rows.
    public static readonly string[] Migrations =
    [
        """
        CREATE TABLE usage (
            tenant_id        text   NOT NULL,
            user_id          text   NOT NULL,
            period_key       text   NOT NULL,
            committed_micros bigint NOT NULL DEFAULT 0 CHECK (committed_micros >= 0),
            reserved_micros  bigint NOT NULL DEFAULT 0 CHECK (reserved_micros >= 0),
            PRIMARY KEY (tenant_id, period_key, user_id)
        );

        CREATE TABLE reservations (
            id                  uuid        NOT NULL PRIMARY KEY,
            tenant_id           text        NOT NULL,
            user_id             text        NOT NULL,
            period_key          text        NOT NULL,
            amount_micros       bigint      NOT NULL CHECK (amount_micros >= 0),
            created_at          timestamptz NOT NULL,
            expires_at          timestamptz NOT NULL,
            state               text        NOT NULL CHECK (state IN ('held', 'committed', 'released', 'expired')),
            actual_micros       bigint,
            settled_at          timestamptz,
            tenant_limit_micros bigint      NOT NULL,
            user_limit_micros   bigint
        );

        CREATE INDEX reservations_held_by_expiry ON reservations (expires_at) WHERE state = 'held';

        CREATE TABLE limit_overrides (
            tenant_id    text   NOT NULL,
            user_id      text   NOT NULL,
            limit_micros bigint NOT NULL CHECK (limit_micros >= 0),
            PRIMARY KEY (tenant_id, user_id)
        );

        CREATE TABLE alerts_fired (
            tenant_id     text        NOT NULL,
            user_id       text        NOT NULL,
            period_key    text        NOT NULL,
            threshold_ppm bigint      NOT NULL,
            fired_at      timestamptz NOT NULL,
            PRIMARY KEY (tenant_id, user_id, period_key, threshold_ppm)
        );
        """,
    ];

    public static int Version => Migrations.Length;
}
