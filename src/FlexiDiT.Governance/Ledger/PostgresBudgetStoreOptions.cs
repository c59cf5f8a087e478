namespace FlexiDiT.Governance.Ledger;

/// <summary>Options of <see cref="PostgresBudgetStore"/>.</summary>
public sealed class PostgresBudgetStoreOptions
{
    /// <summary>
    /// Gets or sets the Npgsql connection string, e.g. <c>Host=db;Database=flexidit;Username=flexidit;Password=...</c>.
    /// <c>Search Path</c> chooses the schema the tables live in.
    /// </summary>
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets how many times one operation is retried when PostgreSQL aborts it for a deadlock or a
    /// serialization failure (both mean "another replica touched the same rows; try again").
    /// </summary>
    public int MaxRetries { get; set; } = 10;

    internal void Validate()
    {
        if (string.IsNullOrWhiteSpace(ConnectionString))
        {
            throw new ArgumentException("ConnectionString is required (an Npgsql connection string such as 'Host=db;Database=flexidit;Username=flexidit;Password=...')", nameof(ConnectionString));
        }

        ArgumentOutOfRangeException.ThrowIfNegative(MaxRetries);
    }
}
