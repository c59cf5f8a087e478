using Npgsql;

namespace FlexiDiT.Governance.Tests.Support;

/// <summary>
/// A ledger in a schema of its own on the PostgreSQL server named by <see cref="ServerVariable"/> (an Npgsql
/// connection string; <c>.ci/run</c> starts a server and sets it). Without it, a test that uses this database is
/// reported as skipped, never as passed.
/// </summary>
public sealed class PostgresLedgerDatabase : LedgerDatabase
{
    /// <summary>The environment variable holding the test server's Npgsql connection string.</summary>
    public const string ServerVariable = "FLEXIDIT_TEST_POSTGRES";

    private readonly string schema = "ledger_test_" + Guid.NewGuid().ToString("N");
    private string? setting;

    /// <summary>Gets the test server's connection string, or <see langword="null"/> when none is configured.</summary>
    public static string? ServerConnectionString =>
        Environment.GetEnvironmentVariable(ServerVariable) is { Length: > 0 } value ? value : null;

    /// <inheritdoc />
    public override string Setting => setting ??= Create();

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (setting is null || ServerConnectionString is not { } server)
        {
            return;
        }

        using var connection = new NpgsqlConnection(server);
        connection.Open();
        using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE;", connection);
        drop.ExecuteNonQuery();
    }

    private string Create()
    {
        Skip.If(ServerConnectionString is null, $"no PostgreSQL server: set {ServerVariable} to an Npgsql connection string (.ci/run starts one)");
        using (var connection = new NpgsqlConnection(ServerConnectionString))
        {
            connection.Open();
            using var create = new NpgsqlCommand($"CREATE SCHEMA {schema};", connection);
            create.ExecuteNonQuery();
        }

        return new NpgsqlConnectionStringBuilder(ServerConnectionString) { SearchPath = schema }.ConnectionString;
    }
}
