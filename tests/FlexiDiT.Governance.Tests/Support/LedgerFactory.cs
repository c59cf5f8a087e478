using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using Microsoft.Extensions.Time.Testing;

namespace FlexiDiT.Governance.Tests.Support;

/// <summary>Opens ledgers on a throwaway database (SQLite or PostgreSQL) with a fake clock.</summary>
internal sealed class LedgerFactory : IDisposable
{
    public LedgerFactory(LedgerDatabase database, PolicySet? policies = null, DateTimeOffset? start = null)
    {
        Database = database;
        Policies = policies ?? TestKnowledge.Policies();
        Clock = new FakeTimeProvider(start ?? new DateTimeOffset(2025, 3, 14, 9, 0, 0, TimeSpan.Zero));
    }

    public LedgerDatabase Database { get; }

    public PolicySet Policies { get; }

    public FakeTimeProvider Clock { get; }

    public IBudgetStore Store() => Database.Store();

    public Task<BudgetLedger> OpenAsync(TimeProvider? clock = null) =>
        BudgetLedger.OpenAsync(Store(), Policies, timeProvider: clock ?? Clock);

    public void Dispose() => Database.Dispose();
}
