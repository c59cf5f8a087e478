using System.Net;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Server.Tests.Support;
using Npgsql;
using Xunit.Abstractions;

namespace FlexiDiT.Server.Tests;

/// <summary>
/// Two server processes on one PostgreSQL ledger, as replicas behind a load balancer: together they spend one
/// budget exactly, and one reclaims the holds of the other when it dies. Skipped without a PostgreSQL server
/// (<c>FLEXIDIT_TEST_POSTGRES</c>, set by <c>.ci/run</c>).
/// </summary>
[Collection(ServerCollection.Name)]
public sealed class ReplicaTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string PostgresVariable = "FLEXIDIT_TEST_POSTGRES";
    private const string TenantKey = "replica-tenant-key-0123456789";
    private const string DraftsKey = "replica-drafts-key-0123456789";
    private const int Requests = 60;
    private const int Affordable = 10;

    private readonly TinyFlexiDiTPack pack = new();
    private readonly string schema = "replicas_" + Guid.NewGuid().ToString("N");
    private string? ledger;

    [SkippableFact]
    public async Task Two_replicas_spend_one_budget_exactly_and_reclaim_each_others_holds()
    {
        var server = Environment.GetEnvironmentVariable(PostgresVariable);
        Skip.If(string.IsNullOrEmpty(server), $"no PostgreSQL server: set {PostgresVariable} to an Npgsql connection string (.ci/run starts one)");
        this.ledger = await CreateSchemaAsync(server!);

        var starting = new[] { ServerProcess.StartAsync(ReplicaSettings("a")), ServerProcess.StartAsync(ReplicaSettings("b")) };
        await using var a = await starting[0];
        await using var b = await starting[1];

        // A budget of exactly ten images of a task that may not degrade, so its price is fixed.
        using var clientA = a.Client(TenantKey);
        using var clientB = b.Client(TenantKey);
        var estimate = await (await clientA.GetAsync("/v1/estimate?task_type=ad-creative&n=1")).ReadNodeAsync();
        var plan = estimate["would_run"]!.GetValue<string>();
        var price = estimate["modes"]!.AsArray().Single(m => m!["mode"]!.GetValue<string>() == plan)!["cost"]!.GetValue<decimal>();
        var budget = Affordable * price;
        var ledger = await BudgetLedger.OpenAsync(BudgetStoreFactory.Create(this.ledger), PolicySet.LoadDirectory(pack.PoliciesFolder));
        await ledger.SetBudgetOverrideAsync(TinyFlexiDiTPack.Tenant, null, budget);

        var responses = await Task.WhenAll(Enumerable.Range(0, Requests).Select(async i =>
        {
            using var response = await (i % 2 == 0 ? clientA : clientB).PostGenerationAsync(new { prompt = "a red circle", task_type = "ad-creative", seed = i });
            return (response.StatusCode, Body: await response.ReadNodeAsync());
        }));

        var succeeded = responses.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        var refused = responses.Where(r => r.StatusCode == HttpStatusCode.PaymentRequired).ToList();
        var charged = succeeded.Sum(r => r.Body["flexidit"]!["cost"]!.GetValue<decimal>());
        var status = await ledger.GetStatusAsync(TinyFlexiDiTPack.Tenant);
        output.WriteLine(
            $"replicas: {Requests} requests, {succeeded.Count} succeeded, {refused.Count} got 402, charged {charged} = spent {status.Tenant.Spent} of budget {budget} ({Affordable} x {price}, plan {plan}), reserved {status.Tenant.Reserved}, holds left {await HeldAsync(TinyFlexiDiTPack.Tenant)}");
        Assert.Equal(Requests, succeeded.Count + refused.Count);
        Assert.Equal(Affordable, succeeded.Count);
        Assert.All(refused, r =>
        {
            Assert.Equal("budget_exhausted", r.Body["error"]!["code"]!.GetValue<string>());
            Assert.Contains("cannot", r.Body["error"]!["message"]!.GetValue<string>());
        });
        Assert.Equal(charged, status.Tenant.Spent);
        Assert.Equal(budget, status.Tenant.Spent);
        Assert.Equal(0m, status.Tenant.Reserved);
        Assert.Equal(0, await HeldAsync(TinyFlexiDiTPack.Tenant));

        // Replica a dies with generations queued and running: their holds outlive it until b's sweep reclaims them.
        using var drafts = a.Client(DraftsKey);
        var inFlight = Enumerable.Range(0, 24)
            .Select(i => drafts.PostGenerationAsync(new { prompt = "a blue square", task_type = "draft", n = 4, size = "128x128", deadline = 2, seed = i }))
            .ToList();
        var held = await WaitForHoldsAsync(TinyFlexiDiTPack.DraftsOnlyTenant);
        await a.KillAsync();
        await Task.WhenAll(inFlight.Select(t => t.ContinueWith(_ => { }, TaskScheduler.Default)));
        var orphaned = await HeldIdsAsync(TinyFlexiDiTPack.DraftsOnlyTenant);
        output.WriteLine($"kill: {held} holds seen while a ran, {orphaned.Count} left held after the kill");
        Assert.NotEmpty(orphaned);

        var reclaimed = await WaitUntilAsync(async () => (await HeldIdsAsync(TinyFlexiDiTPack.DraftsOnlyTenant)).Count == 0, TimeSpan.FromSeconds(60));
        Assert.True(reclaimed, $"replica b did not reclaim the dead replica's holds:\n{b.Output}");
        foreach (var id in orphaned)
        {
            Assert.Equal(ReservationState.Expired, (await ledger.GetReservationAsync(id))!.State);
        }

        Assert.Equal(0m, (await ledger.GetStatusAsync(TinyFlexiDiTPack.DraftsOnlyTenant)).Tenant.Reserved);
        Assert.Contains("Reclaimed", b.Output);
        output.WriteLine($"kill: all {orphaned.Count} orphaned holds reclaimed by replica b");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        if (ledger is not null && Environment.GetEnvironmentVariable(PostgresVariable) is { Length: > 0 } server)
        {
            await using var connection = new NpgsqlConnection(server);
            await connection.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP SCHEMA IF EXISTS {schema} CASCADE;", connection);
            await drop.ExecuteNonQueryAsync();
        }

        pack.Dispose();
    }

    // Everything a replica is told, as environment variables (the way a container gets its settings).
    private Dictionary<string, string> ReplicaSettings(string replica)
    {
        var folder = Directory.CreateDirectory(Path.Combine(pack.Root, "replica-" + replica)).FullName;
        return new Dictionary<string, string>
        {
            ["FlexiDiT__Model"] = pack.PackFolder,
            ["FlexiDiT__PoliciesPath"] = pack.PoliciesFolder,
            ["FlexiDiT__LatencyModelPath"] = pack.LatencyModelPath,
            ["FlexiDiT__LedgerPath"] = Path.Combine(folder, "unused-ledger.db"),
            ["FlexiDiT__LedgerConnectionString"] = ledger!,
            ["FlexiDiT__OutputFolder"] = Path.Combine(folder, "images"),
            ["FlexiDiT__DefaultTenant"] = TinyFlexiDiTPack.Tenant,
            ["FlexiDiT__ReservationMargin"] = "00:00:02",
            ["FlexiDiT__Resilience__MaxQueuedGenerations"] = "200",
            ["Server__ImageFolder"] = Path.Combine(folder, "server-images"),
            ["FlexiDiT__HoldSweepInterval"] = "00:00:01",
            ["Server__ApiKeys__0__Name"] = "replica tenant",
            ["Server__ApiKeys__0__Tenant"] = TinyFlexiDiTPack.Tenant,
            ["Server__ApiKeys__0__Key"] = TenantKey,
            ["Server__ApiKeys__1__Name"] = "replica drafts",
            ["Server__ApiKeys__1__Tenant"] = TinyFlexiDiTPack.DraftsOnlyTenant,
            ["Server__ApiKeys__1__Key"] = DraftsKey,
            ["Logging__LogLevel__Default"] = "Information",
            ["DOTNET_DbgEnableMiniDump"] = "0",
        };
    }

    private async Task<string> CreateSchemaAsync(string server)
    {
        await using var connection = new NpgsqlConnection(server);
        await connection.OpenAsync();
        await using var create = new NpgsqlCommand($"CREATE SCHEMA {schema};", connection);
        await create.ExecuteNonQueryAsync();
        return new NpgsqlConnectionStringBuilder(server) { SearchPath = schema }.ConnectionString;
    }

    private async Task<List<Guid>> HeldIdsAsync(string tenant)
    {
        await using var connection = new NpgsqlConnection(ledger);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT id FROM reservations WHERE tenant_id = @tenant AND state = 'held';", connection);
        command.Parameters.AddWithValue("tenant", tenant);
        await using var reader = await command.ExecuteReaderAsync();
        var ids = new List<Guid>();
        while (await reader.ReadAsync())
        {
            ids.Add(reader.GetGuid(0));
        }

        return ids;
    }

    private async Task<int> HeldAsync(string tenant) => (await HeldIdsAsync(tenant)).Count;

    private async Task<int> WaitForHoldsAsync(string tenant)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (await HeldAsync(tenant) is > 0 and var count)
            {
                return count;
            }

            await Task.Delay(5);
        }

        Assert.Fail("no generation of replica a ever held budget");
        return 0;
    }

    private static async Task<bool> WaitUntilAsync(Func<Task<bool>> condition, TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (await condition())
            {
                return true;
            }

            await Task.Delay(250);
        }

        return false;
    }
}
