using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Tests.Support;
using Npgsql;

namespace FlexiDiT.Governance.Tests.Ledger;

/// <summary>The ledger contract on <see cref="PostgresBudgetStore"/>, and what only PostgreSQL has; skipped without a server.</summary>
public sealed class PostgresBudgetLedgerTests() : BudgetLedgerContractTests(new PostgresLedgerDatabase())
{
    [SkippableFact]
    public async Task The_store_records_its_schema_version_once_when_replicas_start_together()
    {
        using var database = new PostgresLedgerDatabase();
        var setting = database.Setting;

        await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() => BudgetStoreFactory.Create(setting).InitializeAsync())));

        await using var connection = new NpgsqlConnection(database.Setting);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT string_agg(version::text, ',' ORDER BY version) FROM ledger_schema_version;", connection);
        Assert.Equal("1", await command.ExecuteScalarAsync());
    }

    [Fact]
    public void The_factory_tells_a_connection_string_from_a_path()
    {
        Assert.IsType<PostgresBudgetStore>(BudgetStoreFactory.Create("Host=127.0.0.1;Database=flexidit;Username=flexidit"));
        Assert.IsType<SqliteBudgetStore>(BudgetStoreFactory.Create(Path.Combine(Path.GetTempPath(), "ledger.db")));
        Assert.IsType<SqliteBudgetStore>(BudgetStoreFactory.Create("relative/ledger.db"));
        var bad = Assert.Throws<ArgumentException>(() => BudgetStoreFactory.Create("Host=db;Port=not-a-number"));
        Assert.Contains("Host=...;Database=...", bad.Message);
    }
}
