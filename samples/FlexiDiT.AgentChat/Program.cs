using System.CommandLine;
using FlexiDiT.AgentChat;
using FlexiDiT.Extensions.AI;
using FlexiDiT.Governance.Policies;
using FlexiDiT.SemanticKernel;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel.ChatCompletion;

var demo = new Option<bool>("--demo") { Description = "Run the deck request with a scripted model through the real pipeline (no endpoint needed)" };
var tenant = new Option<string>("--tenant") { Description = "Tenant that pays (from the policies)", DefaultValueFactory = _ => "local" };
var user = new Option<string?>("--user") { Description = "User within the tenant" };
var maxCredits = new Option<decimal?>("--max-credits") { Description = "Spending cap per request (default 40)", DefaultValueFactory = _ => 40m };
var maxCalls = new Option<int>("--max-calls") { Description = "Tool calls per request", DefaultValueFactory = _ => 12 };
var output = new Option<DirectoryInfo>("--out") { Description = "Folder for the images", DefaultValueFactory = _ => new DirectoryInfo("flexidit-images") };
var model = new Option<string?>("--model") { Description = "Model pack name or folder (default: the shipped Shapes FlexiDiT)" };
var ledger = new Option<FileInfo?>("--ledger") { Description = "Budget ledger (default: the per-user ledger; with --demo a throwaway one in --out)" };
var policies = new Option<DirectoryInfo?>("--policies") { Description = "Policy folder (default: the shipped policies)" };
var root = new RootCommand("Chat with the budget-aware FlexiDiT image agent") { demo, tenant, user, maxCredits, maxCalls, output, model, ledger, policies };
root.SetAction(async (parse, cancellationToken) =>
{
    var isDemo = parse.GetValue(demo);
    var endpoint = ChatEndpoint.FromEnvironment(Environment.GetEnvironmentVariable, out var problem);
    if (!isDemo && endpoint is null)
    {
        Console.Error.WriteLine(problem is null ? ChatEndpoint.Help : $"{problem}\n\n{ChatEndpoint.Help}");
        if (Console.IsInputRedirected)
        {
            return 2;
        }

        Console.Write("Run the scripted demo now? [y/N] ");
        if (!string.Equals(Console.ReadLine()?.Trim(), "y", StringComparison.OrdinalIgnoreCase))
        {
            return 2;
        }

        isDemo = true;
    }

    try
    {
        return await RunAsync(parse, isDemo, endpoint, cancellationToken);
    }
    catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or InvalidDataException or PolicyLoadException or ArgumentException)
    {
        // A missing model pack, bad policies or an unknown tenant: say what, without a stack trace.
        Console.Error.WriteLine($"error: {e.Message}");
        return 2;
    }
});

return await root.Parse(args).InvokeAsync();

async Task<int> RunAsync(ParseResult parse, bool isDemo, ChatEndpoint? endpoint, CancellationToken cancellationToken)
{
    var folder = Directory.CreateDirectory(parse.GetValue(output)!.FullName).FullName;
    var ledgerPath = parse.GetValue(ledger)?.FullName ?? (isDemo ? Path.Combine(folder, "demo-ledger.db") : null);
    IChatClient chat = isDemo ? new DeckDemoChatClient() : endpoint!.CreateClient();
    await using var services = AgentChatHost.Build(
        chat,
        o =>
        {
            o.Model = parse.GetValue(model);
            o.PoliciesPath = parse.GetValue(policies)?.FullName;
            o.LedgerPath = ledgerPath;
            o.OutputFolder = folder;
        },
        o =>
        {
            o.TenantId = parse.GetValue(tenant)!;
            o.UserId = parse.GetValue(user);
            o.OutputDirectory = folder;
        },
        new ConsoleLoggerProvider());
    var agent = services.GetRequiredService<BudgetAwareAgent>();
    var runtime = services.GetRequiredService<FlexiDiTRuntime>();
    var limits = new ImageRunLimits { MaxSpend = parse.GetValue(maxCredits), MaxCalls = parse.GetValue(maxCalls) };
    Console.WriteLine($"model {(isDemo ? "scripted deck demo" : $"{endpoint!.Model} at {endpoint.Endpoint}")} · images by {runtime.DefaultModelId} · ledger {runtime.LedgerPath}");
    Console.WriteLine($"images go to {folder}; each request may spend {(limits.MaxSpend is { } cap ? $"{cap} credits" : "up to the budget")} in {limits.MaxCalls} tool calls");

    if (isDemo)
    {
        Console.WriteLine($"\nuser> {DeckDemoChatClient.Request}");
        TranscriptPrinter.Write(await agent.RunAsync(DeckDemoChatClient.Request, limits, cancellationToken: cancellationToken), Console.Out);
        return 0;
    }

    Console.WriteLine("Type a request (e.g. \"three slide images of a red circle\"); /budget shows the budget, /quit ends.");
    var history = new ChatHistory();
    while (!cancellationToken.IsCancellationRequested)
    {
        Console.Write("\nuser> ");
        var line = Console.ReadLine();
        if (line is null || line.Trim() == "/quit")
        {
            break;
        }

        if (line.Trim() == "/budget")
        {
            var status = await services.GetRequiredService<FlexiDiTImageTools>().GetBudgetStatusAsync(null, cancellationToken);
            Console.WriteLine($"{status.Remaining} credits left of {status.Limit?.ToString() ?? "the tenant's"}; spent {status.Spent}; period ends {status.PeriodEnd:yyyy-MM-dd HH:mm} UTC");
            continue;
        }

        if (line.Trim().Length > 0)
        {
            TranscriptPrinter.Write(await agent.RunAsync(line, limits, history, cancellationToken), Console.Out);
        }
    }

    return 0;
}
