using System.Collections.Concurrent;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Tests.Support;

namespace FlexiDiT.Governance.Tests.Ledger;

/// <summary>Many "processes" racing for one budget, on each kind of store.</summary>
public abstract class ConcurrentReservationTests(Func<LedgerDatabase> database)
{
    private const int Threads = 50;

    [SkippableFact]
    public async Task Fifty_threads_with_their_own_connections_get_exactly_the_ten_that_fit()
    {
        var policies = new PolicySet(
            [new TaskPolicy { Name = "draft", DefaultSlaMs = 1000, MayDegrade = true, MaxCount = 1 }],
            [new TenantPolicy { Id = "race", Budget = 10m, Period = BudgetPeriod.Daily, AllowedTaskTypes = new HashSet<string> { "*" } }],
            new PricingPolicy { CreditsPerTflop = 1m });
        using var factory = new LedgerFactory(database(), policies);
        await factory.OpenAsync(); // the schema exists before the race, as it would after the first start

        var results = new ReservationResult?[Threads];
        var failures = new ConcurrentQueue<Exception>();
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(i => new Thread(() =>
        {
            // Each thread is its own "process": its own store and connections, its own ledger.
            BudgetLedger? ledger = null;
            try
            {
                ledger = BudgetLedger.OpenAsync(factory.Store(), policies, timeProvider: factory.Clock).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                failures.Enqueue(ex);
            }

            start.SignalAndWait();
            try
            {
                results[i] = ledger?.TryReserveAsync("race", null, 1m).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                failures.Enqueue(ex);
            }
        })).ToList();

        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Empty(failures);
        Assert.All(results, Assert.NotNull);
        var granted = results.Where(r => r!.Succeeded).ToList();
        var denied = results.Where(r => !r!.Succeeded).Select(r => r!.Denial!).ToList();
        Assert.Equal(10, granted.Count);
        Assert.Equal(10m, granted.Sum(r => r!.Reservation!.Amount));
        Assert.Equal(10, granted.Select(r => r!.Reservation!.Id).Distinct().Count());
        Assert.Equal(Threads - 10, denied.Count);

        // Every denial saw the budget at some moment of the race: it was never past its limit.
        Assert.All(denied, d => Assert.True(d.Spent + d.Reserved <= d.Limit, d.Message));
        Assert.All(denied, d => Assert.Equal(10m, d.Reserved));

        var ledgerAfter = await factory.OpenAsync();
        var status = await ledgerAfter.GetStatusAsync("race");
        Assert.Equal(new AccountBalance(10m, 0m, 10m), status.Tenant);
    }

    /// <summary>On a SQLite file.</summary>
    public sealed class OnSqlite() : ConcurrentReservationTests(() => new SqliteLedgerDatabase());

    /// <summary>On PostgreSQL; skipped without a server.</summary>
    public sealed class OnPostgres() : ConcurrentReservationTests(() => new PostgresLedgerDatabase());
}
