using System.Text.Json.Nodes;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Server.Tests.Support;

namespace FlexiDiT.Server.Tests;

/// <summary><c>flexidit budget show|set|reset</c> on a ledger file, as a platform team runs it next to the server.</summary>
public sealed class BudgetCliTests : IDisposable
{
    private readonly string folder;
    private readonly SqliteBudgetStore store;

    public BudgetCliTests()
    {
        folder = Directory.CreateTempSubdirectory("flexidit-cli").FullName;
        store = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DatabasePath = LedgerPath });
    }

    private string LedgerPath => Path.Combine(folder, "ledger.db");

    [Fact]
    public async Task Set_overrides_a_users_budget_in_the_shared_ledger_and_clear_restores_the_policys()
    {
        var set = await Cli("set", "--tenant", "demo-team", "--user", "alice", "--amount", "75");
        var ledger = await OpenAsync();
        var overridden = await ledger.GetStatusAsync("demo-team", "alice");
        var clear = await Cli("set", "--tenant", "demo-team", "--user", "alice", "--clear");
        var restored = await ledger.GetStatusAsync("demo-team", "alice");

        Assert.Equal(0, set.ExitCode);
        Assert.Contains("budget of user 'alice' of tenant 'demo-team' set to 75 credits per period", set.Output);
        Assert.Contains("user     alice: budget 75 (override; policy 50)", set.Output);
        Assert.Equal(75m, overridden.User!.Limit);
        Assert.Equal(0, clear.ExitCode);
        Assert.Equal(50m, restored.User!.Limit);
    }

    [Fact]
    public async Task Show_reports_what_the_ledger_holds_and_reset_forgets_the_periods_spend()
    {
        var ledger = await OpenAsync();
        var reservation = await ledger.ReserveAsync("agency", null, 12.5m);
        await ledger.CommitAsync(reservation.Id, 12.5m);

        var shown = await Cli("show", "--tenant", "agency", "--json");
        var reset = await Cli("reset", "--tenant", "agency");
        var after = await ledger.GetStatusAsync("agency");

        Assert.Equal(0, shown.ExitCode);
        var json = JsonNode.Parse(shown.Output)!;
        Assert.Equal(12.5m, json["tenantAccount"]!["spent"]!.GetValue<decimal>());
        Assert.Equal(4987.5m, json["remaining"]!.GetValue<decimal>());
        Assert.Equal(0, reset.ExitCode);
        Assert.Contains("tenant   agency: budget 5000, spent 0, reserved 0, remaining 5000", reset.Output);
        Assert.Equal(0m, after.Tenant.Spent);
    }

    [Theory]
    [InlineData("show --tenant nobody", "unknown tenant 'nobody'")]
    [InlineData("set --tenant agency", "give either --amount X or --clear")]
    [InlineData("reset --tenant demo-team --user alice", "reset applies to a whole tenant")]
    public async Task Mistakes_exit_2_with_one_line_saying_what_to_fix(string arguments, string message)
    {
        var result = await Cli(arguments.Split(' '));

        Assert.Equal(2, result.ExitCode);
        Assert.StartsWith("error: ", result.Error);
        Assert.Contains(message, result.Error);
    }

    public void Dispose()
    {
        store.Dispose();
        try
        {
            Directory.Delete(folder, recursive: true);
        }
        catch (IOException)
        {
            // A pooled connection may hold the file for a moment; the OS cleans the temp folder.
        }
    }

    private Task<(int ExitCode, string Output, string Error)> Cli(params string[] arguments) =>
        FlexiDiTCli.RunAsync(["budget", .. arguments, "--ledger", LedgerPath, "--policies", FlexiDiTCli.PoliciesFolder]);

    private Task<BudgetLedger> OpenAsync() =>
        BudgetLedger.OpenAsync(store, PolicySet.LoadDirectory(FlexiDiTCli.PoliciesFolder));
}
