using FlexiDiT.Governance.Ledger;

namespace FlexiDiT.Governance.Tests.Support;

/// <summary>A throwaway ledger database of one kind, created on first use and dropped on disposal.</summary>
public abstract class LedgerDatabase : IDisposable
{
    private readonly System.Collections.Concurrent.ConcurrentBag<IBudgetStore> stores = [];

    /// <summary>Gets the setting that names the database, as <see cref="BudgetStoreFactory.Create"/> and the programs take it.</summary>
    /// <remarks>Reading it creates the database, or skips the test when this kind of database is not available.</remarks>
    public abstract string Setting { get; }

    /// <summary>Creates a new store on the database, as another process would.</summary>
    /// <returns>The store.</returns>
    public IBudgetStore Store()
    {
        var store = BudgetStoreFactory.Create(Setting);
        stores.Add(store);
        return store;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        // Each store closes only its own connections; clearing every pool in the process would race other tests.
        foreach (var store in stores)
        {
            (store as IDisposable)?.Dispose();
        }

        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Drops the database.</summary>
    /// <param name="disposing">Whether this is <see cref="Dispose()"/>.</param>
    protected abstract void Dispose(bool disposing);
}
