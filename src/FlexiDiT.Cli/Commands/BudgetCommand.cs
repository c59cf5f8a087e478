using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using FlexiDiT.Extensions.AI;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Cli.Commands;

/// <summary>
/// <c>flexidit budget show|set|reset --tenant T [--user U]</c>: read and administer budgets in the same SQLite ledger
/// the generator, the server and the agents charge.
/// </summary>
internal static class BudgetCommand
{
    public static Command Create() => new("budget", "Show, override or reset a tenant's (or user's) budget in the ledger")
    {
        Show(),
        Set(),
        Reset(),
    };

    private static Command Show()
    {
        var common = new CommonOptions();
        var json = new Option<bool>("--json") { Description = "Print JSON instead of text" };
        var command = common.AddTo(new Command("show", "Show spent, reserved and remaining credits this period, and when it ends")) ;
        command.Options.Add(json);
        command.SetAction(async (parse, cancellationToken) =>
        {
            using var opened = await common.OpenAsync(parse, cancellationToken);
            var (ledger, policies) = (opened.Ledger, opened.Policies);
            var status = await ledger.GetStatusAsync(parse.GetValue(common.Tenant)!, parse.GetValue(common.User), cancellationToken);
            Console.WriteLine(parse.GetValue(json) ? ToJson(status) : Describe(status, policies, common.LedgerPath(parse)));
            return 0;
        });
        return command;
    }

    private static Command Set()
    {
        var common = new CommonOptions();
        var amount = new Option<decimal?>("--amount") { Description = "New budget per period in credits (replaces the policy's until cleared)" };
        var clear = new Option<bool>("--clear") { Description = "Remove the override: the policy's budget applies again" };
        var command = common.AddTo(new Command("set", "Override the budget of a tenant (or one of its users) for every period until cleared"));
        command.Options.Add(amount);
        command.Options.Add(clear);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var value = parse.GetValue(amount);
            var clearing = parse.GetValue(clear);
            if (value is null == !clearing)
            {
                throw new ArgumentException("give either --amount X or --clear");
            }

            using var opened = await common.OpenAsync(parse, cancellationToken);
            var (ledger, policies) = (opened.Ledger, opened.Policies);
            var tenant = parse.GetValue(common.Tenant)!;
            var user = parse.GetValue(common.User);
            await ledger.SetBudgetOverrideAsync(tenant, user, value, cancellationToken);
            Console.WriteLine(clearing
                ? $"override cleared: {Who(tenant, user)} has the policy's budget again"
                : $"budget of {Who(tenant, user)} set to {Credits(value!.Value)} credits per period");
            Console.WriteLine(Describe(await ledger.GetStatusAsync(tenant, user, cancellationToken), policies, common.LedgerPath(parse)));
            return 0;
        });
        return command;
    }

    private static Command Reset()
    {
        var common = new CommonOptions();
        var command = common.AddTo(new Command("reset", "Forget a tenant's spend in the current period and re-arm its alerts (work in flight stays reserved)"));
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(common.User) is not null)
            {
                throw new ArgumentException("reset applies to a whole tenant (its users included); leave out --user");
            }

            using var opened = await common.OpenAsync(parse, cancellationToken);
            var (ledger, policies) = (opened.Ledger, opened.Policies);
            var tenant = parse.GetValue(common.Tenant)!;
            var period = await ledger.ResetPeriodAsync(tenant, cancellationToken);
            Console.WriteLine($"period {period.Key} of tenant '{tenant}' reset");
            Console.WriteLine(Describe(await ledger.GetStatusAsync(tenant, null, cancellationToken), policies, common.LedgerPath(parse)));
            return 0;
        });
        return command;
    }

    private static string Describe(BudgetStatus status, PolicySet policies, string ledgerPath)
    {
        var tenant = policies.FindTenant(status.TenantId)!;
        var lines = new List<string>
        {
            $"ledger   {ledgerPath}",
            $"period   {status.Period.Key} ({status.Period.Period.ToString().ToLowerInvariant()}, ends {status.Period.End.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC)",
            Account($"tenant   {status.TenantId}", status.Tenant, tenant.Budget),
        };
        if (status.User is { } user)
        {
            lines.Add(Account($"user     {status.UserId}", user, tenant.BudgetFor(status.UserId)));
        }

        lines.Add($"left     {Credits(status.Remaining)} credits");
        lines.Add($"alerts   at {string.Join(", ", tenant.AlertThresholds.Select(t => (t * 100).ToString("0.#", CultureInfo.InvariantCulture) + "%"))} of the budget");
        return string.Join(Environment.NewLine, lines);
    }

    private static string Account(string label, AccountBalance balance, decimal? policyBudget)
    {
        var limit = balance.Limit is { } l
            ? $"budget {Credits(l)}{(policyBudget == l ? string.Empty : $" (override; policy {(policyBudget is { } p ? Credits(p) : "none")})")}"
            : "no budget of its own (shares the tenant's)";
        return $"{label}: {limit}, spent {Credits(balance.Spent)}, reserved {Credits(balance.Reserved)}" +
               (balance.Remaining is { } r ? $", remaining {Credits(r)}" : string.Empty);
    }

    private static string ToJson(BudgetStatus status) => JsonSerializer.Serialize(
        new
        {
            tenant = status.TenantId,
            user = status.UserId,
            period = status.Period.Key,
            periodStart = status.Period.Start,
            periodEnd = status.Period.End,
            remaining = status.Remaining,
            tenantAccount = status.Tenant,
            userAccount = status.User,
        },
        new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });

    private static string Who(string tenant, string? user) => user is null ? $"tenant '{tenant}'" : $"user '{user}' of tenant '{tenant}'";

    private static string Credits(decimal credits) => credits.ToString("0.######", CultureInfo.InvariantCulture);

    /// <summary>The options every budget subcommand takes, and opening the ledger they name.</summary>
    private sealed class CommonOptions
    {
        public Option<string> Tenant { get; } = new("--tenant") { Description = "Tenant id (from the policies)", Required = true };

        public Option<string?> User { get; } = new("--user") { Description = "User within the tenant" };

        public Option<FileInfo?> Ledger { get; } = new("--ledger") { Description = "Ledger database (default: the per-user ledger the generator uses)" };

        public Option<DirectoryInfo?> Policies { get; } = new("--policies") { Description = "Policy folder (default: the policies folder next to the program or above the working directory, else the built-in ones)" };

        public Command AddTo(Command command)
        {
            command.Options.Add(Tenant);
            command.Options.Add(User);
            command.Options.Add(Ledger);
            command.Options.Add(Policies);
            return command;
        }

        public string LedgerPath(ParseResult parse) => parse.GetValue(Ledger)?.FullName ?? LedgerPaths.DefaultDatabasePath();

        public async Task<OpenedLedger> OpenAsync(ParseResult parse, CancellationToken cancellationToken)
        {
            var policies = FlexiDiTPolicies.Load(parse.GetValue(Policies)?.FullName);
            var store = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DatabasePath = LedgerPath(parse) });
            try
            {
                return new OpenedLedger(await BudgetLedger.OpenAsync(store, policies, cancellationToken: cancellationToken), policies, store);
            }
            catch
            {
                store.Dispose();
                throw;
            }
        }
    }

    /// <summary>A ledger opened for one subcommand; disposing it closes the file's connections.</summary>
    private sealed record OpenedLedger(BudgetLedger Ledger, PolicySet Policies, SqliteBudgetStore Store) : IDisposable
    {
        public void Dispose() => Store.Dispose();
    }
}
