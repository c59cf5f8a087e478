using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Resilience;
using FlexiDiT.Governance.Tests.Resilience;
using FlexiDiT.Governance.Tests.Support;

namespace FlexiDiT.Governance.Tests;

public sealed class ComputeGovernorTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly LedgerFactory factory = new(new SqliteLedgerDatabase());
    private GenerationResiliencePipeline<string>? pipeline;

    public void Dispose()
    {
        pipeline?.Dispose();
        factory.Dispose();
    }

    [Fact]
    public async Task Run_charges_the_approved_plan()
    {
        var (governor, ledger) = await CreateAsync();

        var result = await governor.RunAsync(Request("slide"), ScriptedEngine.Instant().RunAsync);

        Assert.True(result.Completed);
        Assert.Equal("weak-first-60", result.Outcome.Value);
        Assert.Equal(new CommitReceipt(result.Receipt.ReservationId, 0.55m, 0.55m, 0m), result.Receipt);
        Assert.Equal(new AccountBalance(100m, 0.55m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_charges_only_the_cheaper_plan_after_a_fallback()
    {
        var (governor, ledger) = await CreateAsync();
        var engine = ScriptedEngine.HangsOn("weak-first-60");

        var running = governor.RunAsync(Request("slide"), engine.RunAsync);
        await engine.WaitForStartAsync();
        Assert.Equal(0.55m, (await ledger.GetStatusAsync("acme")).Tenant.Reserved);
        factory.Clock.Advance(TimeSpan.FromMilliseconds(1850));
        var result = await running.WaitAsync(Patience);

        Assert.Equal("fast-20", result.Outcome!.Value);
        Assert.Equal(0.1m, result.Receipt!.Charged);
        Assert.Equal(0.45m, result.Receipt.Released);
        Assert.Equal(new AccountBalance(100m, 0.1m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_releases_the_reservation_when_the_engine_fails()
    {
        var (governor, ledger) = await CreateAsync();

        await Assert.ThrowsAsync<FileNotFoundException>(() => governor.RunAsync(Request("slide"), ScriptedEngine.Throws(() => new FileNotFoundException("no model")).RunAsync));

        Assert.Equal(new AccountBalance(100m, 0m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_releases_the_reservation_when_the_caller_cancels()
    {
        var (governor, ledger) = await CreateAsync();
        var engine = ScriptedEngine.HangsOn("weak-first-60");
        using var cancel = new CancellationTokenSource();

        var running = governor.RunAsync(Request("slide"), engine.RunAsync, cancel.Token);
        await engine.WaitForStartAsync();
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Patience));
        Assert.Equal(new AccountBalance(100m, 0m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_degrades_on_the_budget_the_ledger_reports()
    {
        var (governor, ledger) = await CreateAsync(acmeBudget: 0.3m);

        var result = await governor.RunAsync(Request("slide"), ScriptedEngine.Instant().RunAsync);

        Assert.True(Assert.IsType<PolicyApproval>(result.Decision).Degraded);
        Assert.Equal("fast-20", result.Outcome!.Value);
        Assert.Equal(0.2m, await ledger.GetRemainingAsync("acme"));
    }

    [Fact]
    public async Task Run_refuses_without_reserving_or_calling_the_engine()
    {
        var (governor, ledger) = await CreateAsync(acmeBudget: 0.5m);
        var engine = ScriptedEngine.Instant();

        var refused = await governor.RunAsync(Request("ad-creative"), engine.RunAsync);
        var unknown = await governor.RunAsync(Request("draft") with { TenantId = "nobody" }, engine.RunAsync);

        Assert.False(refused.Completed);
        Assert.Equal(RefusalReason.BudgetExhausted, refused.Refusal.Code);
        Assert.Equal(RefusalReason.UnknownTenant, unknown.Refusal!.Code);
        Assert.Equal(0, engine.Calls);
        Assert.Equal(new AccountBalance(0.5m, 0m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_reserves_and_runs_the_approval_as_the_prepare_hook_reprices_it()
    {
        var (governor, ledger) = await CreateAsync();
        decimal? heldWhileRunning = null;
        var work = new GovernedWork<string>(async (attempt, ct) =>
        {
            heldWhileRunning = (await ledger.GetStatusAsync("acme", cancellationToken: ct)).Tenant.Reserved;
            return attempt.Plan.Name;
        })
        {
            PrepareAsync = (approval, _) => ValueTask.FromResult(approval with { Cost = 0.2m, Reason = $"{approval.Reason}; overridden" }),
        };

        var result = await governor.RunAsync(Request("slide"), work);

        Assert.Equal(0.2m, heldWhileRunning);
        Assert.Equal(0.2m, result.Approval!.Cost);
        Assert.EndsWith("; overridden", result.Approval.Reason, StringComparison.Ordinal);
        Assert.Equal(0.2m, result.Outcome!.Approval.Cost);
        Assert.Equal(new CommitReceipt(result.Receipt!.ReservationId, 0.2m, 0.2m, 0m), result.Receipt);
        Assert.Equal(new AccountBalance(100m, 0.2m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_prepares_nothing_for_a_refused_request()
    {
        var (governor, _) = await CreateAsync(acmeBudget: 0.5m);
        var prepared = 0;
        var work = new GovernedWork<string>(ScriptedEngine.Instant().RunAsync)
        {
            PrepareAsync = (approval, _) =>
            {
                Interlocked.Increment(ref prepared);
                return ValueTask.FromResult(approval);
            },
        };

        var result = await governor.RunAsync(Request("ad-creative"), work);

        Assert.Equal(RefusalReason.BudgetExhausted, result.Refusal!.Code);
        Assert.Equal(0, prepared);
    }

    [Fact]
    public async Task Run_reserves_nothing_when_prepare_fails()
    {
        var (governor, ledger) = await CreateAsync();
        var engine = ScriptedEngine.Instant();
        var work = new GovernedWork<string>(engine.RunAsync) { PrepareAsync = (_, _) => throw new FileNotFoundException("no weights") };

        await Assert.ThrowsAsync<FileNotFoundException>(() => governor.RunAsync(Request("slide"), work));

        Assert.Equal(0, engine.Calls);
        Assert.Equal(new AccountBalance(100m, 0m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_reserves_nothing_when_the_caller_cancels_during_prepare()
    {
        var (governor, ledger) = await CreateAsync();
        var engine = ScriptedEngine.Instant();
        var preparing = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cancel = new CancellationTokenSource();
        var work = new GovernedWork<string>(engine.RunAsync)
        {
            PrepareAsync = async (approval, ct) =>
            {
                preparing.SetResult();
                await Task.Delay(Timeout.InfiniteTimeSpan, ct);
                return approval;
            },
        };

        var running = governor.RunAsync(Request("slide"), work, cancel.Token);
        await preparing.Task.WaitAsync(Patience);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Patience));
        Assert.Equal(0, engine.Calls);
        Assert.Equal(new AccountBalance(100m, 0m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_refuses_a_prepare_hook_that_changes_who_pays()
    {
        var (governor, ledger) = await CreateAsync();
        var engine = ScriptedEngine.Instant();
        var work = new GovernedWork<string>(engine.RunAsync) { PrepareAsync = (approval, _) => ValueTask.FromResult(approval with { TenantId = "studio" }) };

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => governor.RunAsync(Request("slide"), work));

        Assert.Contains("tenant 'studio'", error.Message, StringComparison.Ordinal);
        Assert.Equal(0, engine.Calls);
        Assert.Equal(new AccountBalance(100m, 0m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
        Assert.Equal(new AccountBalance(1000m, 0m, 0m), (await ledger.GetStatusAsync("studio")).Tenant);
    }

    [Fact]
    public async Task Run_charges_what_the_charge_hook_reads_from_the_result()
    {
        var (governor, ledger) = await CreateAsync();

        // The engine reports what it spent; the plan table's estimate was 0.55.
        var work = new GovernedWork<string>((_, _) => ValueTask.FromResult("0.3"))
        {
            Charge = outcome => decimal.Parse(outcome.Value, System.Globalization.CultureInfo.InvariantCulture),
        };

        var result = await governor.RunAsync(Request("slide"), work);

        Assert.Equal(new CommitReceipt(result.Receipt!.ReservationId, 0.55m, 0.3m, 0.25m), result.Receipt);
        Assert.Equal(new AccountBalance(100m, 0.3m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_never_charges_more_than_it_reserved()
    {
        var (governor, ledger) = await CreateAsync();
        var work = new GovernedWork<string>(ScriptedEngine.Instant().RunAsync) { Charge = _ => 7m };

        var result = await governor.RunAsync(Request("slide"), work);

        Assert.Equal(new CommitReceipt(result.Receipt!.ReservationId, 0.55m, 0.55m, 0m), result.Receipt);
        Assert.Equal(new AccountBalance(100m, 0.55m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Run_releases_and_discards_the_result_when_it_cannot_be_charged(bool negative)
    {
        var (governor, ledger) = await CreateAsync();
        var discarded = new List<string>();
        var work = new GovernedWork<string>(ScriptedEngine.Instant().RunAsync)
        {
            Charge = _ => negative ? -1m : throw new InvalidDataException("no FLOPs reported"),
            Discard = discarded.Add,
        };

        var error = await Assert.ThrowsAnyAsync<Exception>(() => governor.RunAsync(Request("slide"), work));

        Assert.IsType(negative ? typeof(InvalidOperationException) : typeof(InvalidDataException), error);
        Assert.Equal(["weak-first-60"], discarded);
        Assert.Equal(new AccountBalance(100m, 0m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_releases_the_repriced_hold_and_charges_nothing_when_the_caller_cancels()
    {
        var (governor, ledger) = await CreateAsync();
        var engine = ScriptedEngine.HangsOn("weak-first-60");
        var charged = 0;
        using var cancel = new CancellationTokenSource();
        var work = new GovernedWork<string>(engine.RunAsync)
        {
            PrepareAsync = (approval, _) => ValueTask.FromResult(approval with { Cost = 0.2m }),
            Charge = _ =>
            {
                charged++;
                return 0.2m;
            },
        };

        var running = governor.RunAsync(Request("slide"), work, cancel.Token);
        await engine.WaitForStartAsync();
        Assert.Equal(0.2m, (await ledger.GetStatusAsync("acme")).Tenant.Reserved);
        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Patience));
        Assert.Equal(0, charged);
        Assert.Equal(new AccountBalance(100m, 0m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Theory]
    [InlineData(2)]
    [InlineData(0)]
    public async Task Run_decides_again_when_another_request_spends_the_budget_before_the_reservation(int retries)
    {
        var (governor, ledger) = await CreateAsync(options: new ComputeGovernorOptions { BudgetRaceRetries = retries });
        var engine = ScriptedEngine.Instant();
        var prepared = 0;
        var work = new GovernedWork<string>(engine.RunAsync)
        {
            PrepareAsync = async (approval, ct) =>
            {
                // Another request takes all but 0.3 credits after this one read the balance.
                if (Interlocked.Increment(ref prepared) == 1)
                {
                    await ledger.ReserveAsync("acme", null, 99.7m, TimeSpan.FromMinutes(5), ct);
                }

                return approval;
            },
        };

        var result = await governor.RunAsync(Request("slide"), work);

        if (retries == 0)
        {
            Assert.Equal(RefusalReason.BudgetExhausted, result.Refusal!.Code);
            Assert.Equal((1, 0), (prepared, engine.Calls));
            Assert.Equal(new AccountBalance(100m, 0m, 99.7m), (await ledger.GetStatusAsync("acme")).Tenant);
            return;
        }

        Assert.True(result.Approval!.Degraded);
        Assert.Equal("fast-20", result.Outcome!.Value);
        Assert.Equal(2, prepared);
        Assert.Equal(new AccountBalance(100m, 0.1m, 99.7m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    private static PolicyRequest Request(string task) => new() { TaskType = task, TenantId = "acme" };

    private async Task<(ComputeGovernor<string> Governor, BudgetLedger Ledger)> CreateAsync(decimal acmeBudget = 100m, ComputeGovernorOptions? options = null)
    {
        var policies = TestKnowledge.Policies(acmeBudget);
        var ledger = await BudgetLedger.OpenAsync(factory.Store(), policies, timeProvider: factory.Clock);
        var engine = TestKnowledge.Engine(policies);
        pipeline = new GenerationResiliencePipeline<string>(new GenerationResilienceOptions(), engine, factory.Clock);
        return (new ComputeGovernor<string>(engine, ledger, pipeline, options), ledger);
    }
}
