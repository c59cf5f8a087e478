using Npgsql;

namespace FlexiDiT.Governance.Ledger;

/// <summary>Chooses the ledger's store from one setting: a file path (SQLite, one machine) or an Npgsql connection string (PostgreSQL, replicas).</summary>
public static class BudgetStoreFactory
{
    /// <summary>Creates the store a setting names; nothing is opened yet.</summary>
    /// <param name="connectionStringOrPath">
    /// An Npgsql connection string (it has <c>Host=</c> or <c>Server=</c>, e.g. <c>Host=db;Database=flexidit;Username=flexidit;Password=...</c>)
    /// for a <see cref="PostgresBudgetStore"/>; anything else is the path of a <see cref="SqliteBudgetStore"/> file.
    /// </param>
    /// <returns>The store.</returns>
    /// <exception cref="ArgumentException">The setting is empty, or looks like a connection string but does not parse.</exception>
    public static IBudgetStore Create(string connectionStringOrPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionStringOrPath);
        return IsPostgres(connectionStringOrPath)
            ? new PostgresBudgetStore(new PostgresBudgetStoreOptions { ConnectionString = connectionStringOrPath })
            : new SqliteBudgetStore(new SqliteBudgetStoreOptions { DatabasePath = connectionStringOrPath });
    }

    /// <summary>Tells whether a setting is an Npgsql connection string rather than a file path.</summary>
    /// <param name="connectionStringOrPath">The setting.</param>
    /// <returns><see langword="true"/> when it names a PostgreSQL host.</returns>
    /// <exception cref="ArgumentException">It has <c>key=value</c> pairs naming a host but does not parse as a connection string.</exception>
    public static bool IsPostgres(string connectionStringOrPath)
    {
        ArgumentNullException.ThrowIfNull(connectionStringOrPath);

        // A path has no "key=value;" pairs; a connection string always names its host.
        if (!connectionStringOrPath.Contains('=', StringComparison.Ordinal)
            || !(connectionStringOrPath.Contains("host", StringComparison.OrdinalIgnoreCase) || connectionStringOrPath.Contains("server", StringComparison.OrdinalIgnoreCase)))
        {
            return false;
        }

        try
        {
            return !string.IsNullOrEmpty(new NpgsqlConnectionStringBuilder(connectionStringOrPath).Host);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException(
                $"the ledger setting looks like a PostgreSQL connection string but does not parse ({e.Message}); write it as 'Host=...;Database=...;Username=...;Password=...', or give a file path for SQLite",
                nameof(connectionStringOrPath),
                e);
        }
    }
}
