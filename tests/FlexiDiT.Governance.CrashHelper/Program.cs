// A child process for the ledger's crash-safety tests. It opens the ledger, reserves credits, reports the
// reservation on stdout and then dies mid-"generation" without committing or releasing: either it aborts itself
// (Environment.FailFast, no finally blocks, no flushing) or it blocks until the test kills it (SIGKILL).
using System.Globalization;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;

var options = ParseArguments(args);
var tenant = new TenantPolicy
{
    Id = options["tenant"],
    Budget = decimal.Parse(options["budget"], CultureInfo.InvariantCulture),
    Period = BudgetPeriod.Daily,
    AllowedTaskTypes = new HashSet<string> { TenantPolicy.AnyTaskType },
};
var policies = new PolicySet(
    [new TaskPolicy { Name = "draft", DefaultSlaMs = 1000, MayDegrade = true, MaxCount = 1 }],
    [tenant],
    new PricingPolicy { CreditsPerTflop = 1 });

var clock = new FixedClock(DateTimeOffset.Parse(options["now"], CultureInfo.InvariantCulture));
var store = BudgetStoreFactory.Create(options["db"]); // a SQLite file or a PostgreSQL connection string
var ledger = await BudgetLedger.OpenAsync(store, policies, timeProvider: clock);
var reservation = await ledger.ReserveAsync(
    tenant.Id,
    null,
    decimal.Parse(options["amount"], CultureInfo.InvariantCulture),
    TimeSpan.FromSeconds(int.Parse(options["ttl-seconds"], CultureInfo.InvariantCulture)));

Console.Out.WriteLine($"RESERVED {reservation.Id}");
Console.Out.Flush();

switch (options["mode"])
{
    case "failfast":
        Environment.FailFast("simulated crash in the middle of a generation");
        break;
    case "wait-for-kill":
        Thread.Sleep(Timeout.Infinite);
        break;
    default:
        throw new ArgumentException($"unknown mode '{options["mode"]}'");
}

static Dictionary<string, string> ParseArguments(string[] args)
{
    var map = new Dictionary<string, string>(StringComparer.Ordinal);
    for (var i = 0; i + 1 < args.Length; i += 2)
    {
        map[args[i].TrimStart('-')] = args[i + 1];
    }

    string[] required = ["db", "tenant", "budget", "amount", "ttl-seconds", "now", "mode"];
    var missing = required.Where(r => !map.ContainsKey(r)).ToList();
    return missing.Count == 0
        ? map
        : throw new ArgumentException($"missing arguments: {string.Join(", ", missing.Select(m => "--" + m))}");
}
