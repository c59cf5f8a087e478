using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Tests.Support;
using Microsoft.Data.Sqlite;

namespace FlexiDiT.Governance.Tests.Ledger;

/// <summary>The ledger contract on <see cref="SqliteBudgetStore"/>, and what only SQLite has.</summary>
public sealed class SqliteBudgetLedgerTests() : BudgetLedgerContractTests(new SqliteLedgerDatabase())
{
    [Fact]
    public async Task The_store_keeps_its_journal_in_WAL_mode()
    {
        using var database = new SqliteLedgerDatabase();
        await BudgetLedger.OpenAsync(database.Store(), TestKnowledge.Policies());

        using var connection = new SqliteConnection($"Data Source={database.Setting}");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", command.ExecuteScalar());
    }

    [SkippableFact]
    public async Task Disposing_a_store_closes_its_files_connections_and_leaves_other_files_open()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "counts the process's open files in /proc/self/fd");
        using var dir = new TempDirectory();
        var first = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DatabasePath = dir.File("first.db") });
        using var second = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DatabasePath = dir.File("second.db") });
        await first.InitializeAsync();
        await second.InitializeAsync();
        Assert.NotEqual(0, OpenFiles(first.DatabasePath));
        Assert.NotEqual(0, OpenFiles(second.DatabasePath));

        first.Dispose();

        // Only its own pool: clearing every pool in the process could close a connection another thread is opening.
        Assert.Equal(0, OpenFiles(first.DatabasePath));
        Assert.NotEqual(0, OpenFiles(second.DatabasePath));
        Assert.Equal(new AccountUsage(0, 0, null), await second.GetUsageAsync("tenant", null, "2026-12"));
    }

    [Fact]
    public void LedgerPaths_puts_the_database_under_FlexiDiT_and_creates_the_folder()
    {
        using var dir = new TempDirectory();

        var path = LedgerPaths.DefaultDatabasePath(dir.Path);

        Assert.Equal(Path.Combine(dir.Path, "FlexiDiT", "ledger.db"), path);
        Assert.True(Directory.Exists(Path.Combine(dir.Path, "FlexiDiT")));
        Assert.EndsWith(Path.Combine("FlexiDiT", "ledger.db"), LedgerPaths.DefaultDatabasePath());
    }

    [Fact]
    public async Task The_store_migrates_a_version_1_file_and_keeps_its_holds()
    {
        using var database = new SqliteLedgerDatabase();
        var reservation = Guid.NewGuid();
        using (var connection = new SqliteConnection($"Data Source={database.Setting};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = $"""
                {Version1Schema}
                INSERT INTO usage VALUES ('hobby', '', '2025-03-14', 0, 2000000);
                INSERT INTO reservations VALUES ('{reservation:D}', 'hobby', '', '2025-03-14', 2000000, 0, 4102444800000, 'held', NULL, NULL);
                PRAGMA user_version = 1;
                """;
            command.ExecuteNonQuery();
        }

        var ledger = await BudgetLedger.OpenAsync(database.Store(), TestKnowledge.Policies(), timeProvider: new Microsoft.Extensions.Time.Testing.FakeTimeProvider(new DateTimeOffset(2025, 3, 14, 9, 0, 0, TimeSpan.Zero)));

        Assert.Equal(new CommitReceipt(reservation, 2m, 1m, 1m), await ledger.CommitAsync(reservation, 1m));
        Assert.Equal(new AccountBalance(5m, 1m, 0m), (await ledger.GetStatusAsync("hobby")).Tenant);
    }

    // The tables as version 1 of the ledger created them, before reservations remembered their limits.
    private const string Version1Schema = """
        CREATE TABLE usage (tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, period_key TEXT NOT NULL,
            committed_micros INTEGER NOT NULL DEFAULT 0, reserved_micros INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (tenant_id, user_id, period_key)) WITHOUT ROWID;
        CREATE TABLE reservations (id TEXT NOT NULL PRIMARY KEY, tenant_id TEXT NOT NULL, user_id TEXT NOT NULL,
            period_key TEXT NOT NULL, amount_micros INTEGER NOT NULL, created_at_ms INTEGER NOT NULL,
            expires_at_ms INTEGER NOT NULL, state TEXT NOT NULL, actual_micros INTEGER, settled_at_ms INTEGER);
        CREATE TABLE limit_overrides (tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, limit_micros INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, user_id)) WITHOUT ROWID;
        CREATE TABLE alerts_fired (tenant_id TEXT NOT NULL, user_id TEXT NOT NULL, period_key TEXT NOT NULL,
            threshold_ppm INTEGER NOT NULL, fired_at_ms INTEGER NOT NULL,
            PRIMARY KEY (tenant_id, user_id, period_key, threshold_ppm)) WITHOUT ROWID;
        """;

    // The database file and its WAL companions, as the kernel lists this process's descriptors.
    private static int OpenFiles(string databasePath) => Directory.GetFiles("/proc/self/fd").Count(fd =>
    {
        try
        {
            return new FileInfo(fd).LinkTarget?.StartsWith(databasePath, StringComparison.Ordinal) == true;
        }
        catch (IOException)
        {
            return false; // closed while listing
        }
    });
}
