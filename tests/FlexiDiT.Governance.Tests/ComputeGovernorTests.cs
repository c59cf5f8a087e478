using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Resilience;
using FlexiDiT.Governance.Tests.Resilience;
using FlexiDiT.Governance.Tests.Support;

namespace FlexiDiT.Governance.Tests;

public sealed class ComputeGovernorTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly LedgerFactory _factory = new(new SqliteLedgerDatabase());
    private GenerationResiliencePipeline<string>? _pipeline;

    public void Dispose()
    {
        _pipeline?.Dispose();
        _factory.Dispose();
    }

    [Fact]
    public async Task Run_ChargesTheApprovedPlan()
    {
        var (governor, ledger) = await CreateAsync();

        var result = await governor.RunAsync(Request("slide"), ScriptedEngine.Instant().RunAsync);

        Assert.True(result.Completed);
        Assert.Equal("weak-first-60", result.Outcome.Value);
        Assert.Equal(new CommitReceipt(result.Receipt.ReservationId, 0.55m, 0.55m, 0m), result.Receipt);
        Assert.Equal(new AccountBalance(100m, 0.55m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_ChargesOnlyTheCheaperPlanAfterAFallback()
    {
        var (governor, ledger) = await CreateAsync();
        var engine = ScriptedEngine.HangsOn("weak-first-60");

        var running = governor.RunAsync(Request("slide"), engine.RunAsync);
        await engine.WaitForStartAsync();
        Assert.Equal(0.55m, (await ledger.GetStatusAsync("acme")).Tenant.Reserved);
        _factory.Clock.Advance(TimeSpan.FromMilliseconds(1850));
        var result = await running.WaitAsync(Patience);

        Assert.Equal("fast-20", result.Outcome!.Value);
        Assert.Equal(0.1m, result.Receipt!.Charged);
        Assert.Equal(0.45m, result.Receipt.Released);
        Assert.Equal(new AccountBalance(100m, 0.1m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_ReleasesTheReservationWhenTheEngineFails()
    {
        var (governor, ledger) = await CreateAsync();

        await Assert.ThrowsAsync<FileNotFoundException>(() => governor.RunAsync(Request("slide"), ScriptedEngine.Throws(() => new FileNotFoundException("no model")).RunAsync));

        Assert.Equal(new AccountBalance(100m, 0m, 0m), (await ledger.GetStatusAsync("acme")).Tenant);
    }

    [Fact]
    public async Task Run_ReleasesTheReservationWhenTheCallerCancels()
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
    public async Task Run_DegradesOnTheBudgetTheLedgerReports()
    {
        var (governor, ledger) = await CreateAsync(acmeBudget: 0.3m);

        var result = await governor.RunAsync(Request("slide"), ScriptedEngine.Instant().RunAsync);

        Assert.True(Assert.IsType<PolicyApproval>(result.Decision).Degraded);
        Assert.Equal("fast-20", result.Outcome!.Value);
        Assert.Equal(0.2m, await ledger.GetRemainingAsync("acme"));
    }

    [Fact]
    public async Task Run_RefusesWithoutReservingOrCallingTheEngine()
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

    private static PolicyRequest Request(string task) => new() { TaskType = task, TenantId = "acme" };

    private async Task<(ComputeGovernor<string> Governor, BudgetLedger Ledger)> CreateAsync(decimal acmeBudget = 100m)
    {
        var policies = TestKnowledge.Policies(acmeBudget);
        var ledger = await BudgetLedger.OpenAsync(_factory.Store(), policies, timeProvider: _factory.Clock);
        var engine = TestKnowledge.Engine(policies);
        _pipeline = new GenerationResiliencePipeline<string>(new GenerationResilienceOptions(), engine, _factory.Clock);
        return (new ComputeGovernor<string>(engine, ledger, _pipeline), ledger);
    }
}
