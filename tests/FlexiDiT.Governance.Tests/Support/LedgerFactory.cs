using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using Microsoft.Extensions.Time.Testing;

namespace FlexiDiT.Governance.Tests.Support;

/// <summary>Opens ledgers on a temporary SQLite file with a fake clock.</summary>
internal sealed class LedgerFactory : IDisposable
{
    private readonly TempDirectory _directory = new();

    public LedgerFactory(PolicySet? policies = null, DateTimeOffset? start = null)
    {
        Policies = policies ?? TestKnowledge.Policies();
        Clock = new FakeTimeProvider(start ?? new DateTimeOffset(2025, 3, 14, 9, 0, 0, TimeSpan.Zero));
    }

    public PolicySet Policies { get; }

    public FakeTimeProvider Clock { get; }

    public string DatabasePath => _directory.File("ledger.db");

    public SqliteBudgetStore Store() => new(new SqliteBudgetStoreOptions { DatabasePath = DatabasePath });

    public Task<BudgetLedger> OpenAsync(TimeProvider? clock = null) =>
        BudgetLedger.OpenAsync(Store(), Policies, timeProvider: clock ?? Clock);

    public void Dispose() => _directory.Dispose();
}
