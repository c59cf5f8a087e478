using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Tests.Support;
using Microsoft.Extensions.Time.Testing;

namespace FlexiDiT.Governance.Tests.Ledger;

/// <summary>
/// A process that reserves and then dies mid-generation must not leave the credits held forever: once the
/// reservation's TTL has passed, the next ledger to open reclaims it.
/// </summary>
public abstract class CrashSafetyTests(Func<LedgerDatabase> database)
{
    private static readonly DateTimeOffset CrashTime = new(2025, 3, 14, 9, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan ChildTimeout = TimeSpan.FromSeconds(60);

    [SkippableTheory]
    [InlineData("failfast")]       // the child aborts itself: no finally blocks, no disposal
    [InlineData("wait-for-kill")]  // the test kills the child (SIGKILL) while it "generates"
    public async Task A_reservation_held_by_a_dead_process_is_reclaimed_after_its_TTL(string mode)
    {
        using var ledgerDatabase = database();
        var db = ledgerDatabase.Setting;

        var reservationId = await RunChildThatDiesAsync(db, mode);

        var policies = Policies();
        var beforeTtl = await BudgetLedger.OpenAsync(Store(db), policies, timeProvider: new FakeTimeProvider(CrashTime + Ttl - TimeSpan.FromSeconds(1)));
        Assert.Equal(ReservationState.Held, (await beforeTtl.GetReservationAsync(reservationId))!.State);
        Assert.Equal(6m, await beforeTtl.GetRemainingAsync("crash"));

        var afterTtl = await BudgetLedger.OpenAsync(Store(db), policies, timeProvider: new FakeTimeProvider(CrashTime + Ttl + TimeSpan.FromSeconds(1)));

        Assert.Equal(ReservationState.Expired, (await afterTtl.GetReservationAsync(reservationId))!.State);
        Assert.Equal(new AccountBalance(10m, 0m, 0m), (await afterTtl.GetStatusAsync("crash")).Tenant);
    }

    private static async Task<Guid> RunChildThatDiesAsync(string db, string mode)
    {
        var start = new ProcessStartInfo(DotnetHost())
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "FlexiDiT.Governance.CrashHelper.dll"));
        foreach (var (name, value) in new[]
        {
            ("--db", db), ("--tenant", "crash"), ("--budget", "10"), ("--amount", "4"),
            ("--ttl-seconds", ((int)Ttl.TotalSeconds).ToString(CultureInfo.InvariantCulture)),
            ("--now", CrashTime.ToString("o", CultureInfo.InvariantCulture)), ("--mode", mode),
        })
        {
            start.ArgumentList.Add(name);
            start.ArgumentList.Add(value);
        }

        // No crash dump for a crash we cause on purpose.
        start.Environment["DOTNET_DbgEnableMiniDump"] = "0";

        using var child = Process.Start(start)!;
        var stderr = child.StandardError.ReadToEndAsync();
        try
        {
            var line = await child.StandardOutput.ReadLineAsync().WaitAsync(ChildTimeout);
            if (line is null || !line.StartsWith("RESERVED ", StringComparison.Ordinal))
            {
                await child.WaitForExitAsync().WaitAsync(ChildTimeout);
                Assert.Fail($"the helper did not reserve (exit {child.ExitCode}): {line} {await stderr}");
            }

            if (mode == "wait-for-kill")
            {
                child.Kill(entireProcessTree: true);
            }

            await child.WaitForExitAsync().WaitAsync(ChildTimeout);
            Assert.NotEqual(0, child.ExitCode);
            if (mode == "failfast")
            {
                Assert.Contains("simulated crash", await stderr);
            }

            return Guid.Parse(line["RESERVED ".Length..]);
        }
        finally
        {
            if (!child.HasExited)
            {
                child.Kill(entireProcessTree: true);
            }
        }
    }

    private static PolicySet Policies() => new(
        [new TaskPolicy { Name = "draft", DefaultSlaMs = 1000, MayDegrade = true, MaxCount = 1 }],
        [new TenantPolicy { Id = "crash", Budget = 10m, Period = BudgetPeriod.Daily, AllowedTaskTypes = new HashSet<string> { TenantPolicy.AnyTaskType } }],
        new PricingPolicy { CreditsPerTflop = 1m });

    private static IBudgetStore Store(string db) => BudgetStoreFactory.Create(db);

    // The host that runs these tests: dotnet test exports it; otherwise derive it from the runtime's location.
    private static string DotnetHost()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } fromSdk && File.Exists(fromSdk))
        {
            return fromSdk;
        }

        if (Environment.ProcessPath is { } self && Path.GetFileNameWithoutExtension(self) == "dotnet")
        {
            return self;
        }

        var root = Path.GetFullPath(Path.Combine(RuntimeEnvironment.GetRuntimeDirectory(), "..", "..", ".."));
        var candidate = Path.Combine(root, OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet");
        return File.Exists(candidate) ? candidate : "dotnet";
    }

    /// <summary>On a SQLite file.</summary>
    public sealed class OnSqlite() : CrashSafetyTests(() => new SqliteLedgerDatabase());

    /// <summary>On PostgreSQL; skipped without a server.</summary>
    public sealed class OnPostgres() : CrashSafetyTests(() => new PostgresLedgerDatabase());
}
