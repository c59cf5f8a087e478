namespace FlexiDiT.Governance.Ledger;

/// <summary>Options of <see cref="SqliteBudgetStore"/>.</summary>
public sealed class SqliteBudgetStoreOptions
{
    /// <summary>Gets or sets the database file; its folder is created if missing. See <see cref="LedgerPaths.DefaultDatabasePath()"/>.</summary>
    public string DatabasePath { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets how long a writer waits for another process's transaction before failing. Transactions are a few
    /// statements long, so waiting this long means something is stuck.
    /// </summary>
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets a value indicating whether connections are pooled within this process.</summary>
    public bool Pooling { get; set; } = true;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(DatabasePath))
        {
            throw new ArgumentException("DatabasePath is required", nameof(DatabasePath));
        }

        if (BusyTimeout <= TimeSpan.Zero || BusyTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentOutOfRangeException(nameof(BusyTimeout), BusyTimeout, "must be positive and at most 10 minutes");
        }
    }
}
