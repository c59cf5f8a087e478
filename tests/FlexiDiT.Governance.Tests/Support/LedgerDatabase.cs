using FlexiDiT.Governance.Ledger;

namespace FlexiDiT.Governance.Tests.Support;

/// <summary>A throwaway ledger database of one kind, created on first use and dropped on disposal.</summary>
public abstract class LedgerDatabase : IDisposable
{
    /// <summary>Gets the setting that names the database, as <see cref="BudgetStoreFactory.Create"/> and the programs take it.</summary>
    /// <remarks>Reading it creates the database, or skips the test when this kind of database is not available.</remarks>
    public abstract string Setting { get; }

    /// <summary>Creates a new store on the database, as another process would.</summary>
    /// <returns>The store.</returns>
    public IBudgetStore Store() => BudgetStoreFactory.Create(Setting);

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Drops the database.</summary>
    /// <param name="disposing">Whether this is <see cref="Dispose()"/>.</param>
    protected abstract void Dispose(bool disposing);
}
