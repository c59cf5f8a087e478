namespace FlexiDiT.Governance.Tests.Support;

/// <summary>A ledger in a SQLite file in a temporary folder.</summary>
public sealed class SqliteLedgerDatabase : LedgerDatabase
{
    private readonly TempDirectory directory = new();

    /// <inheritdoc />
    public override string Setting => directory.File("ledger.db");

    /// <inheritdoc />
    protected override void Dispose(bool disposing) => directory.Dispose();
}
