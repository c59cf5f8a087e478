using FlexiDiT.AgentChat;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using Microsoft.Extensions.DependencyInjection;

namespace FlexiDiT.SemanticKernel.Tests;

/// <summary>
/// The agent chat sample's <c>--demo</c> composition on the real FlexiDiT generator (a tiny random-weight pack): DI as
/// an agent author writes it, SK's function calling, the filter, the ledger and real images.
/// </summary>
public sealed class AgentChatDemoTests : IDisposable
{
    private readonly TinyFlexiDiTPack pack = new();

    [Fact]
    public async Task The_deck_demo_plans_generates_six_real_images_and_reports_the_ledgers_charge()
    {
        await using var services = Build();
        var agent = services.GetRequiredService<BudgetAwareAgent>();

        var result = await agent.RunAsync(DeckDemoChatClient.Request, new ImageRunLimits { MaxSpend = 40m });

        Assert.StartsWith("Your deck images are ready:", result.Answer);
        Assert.Equal(["full", "weak"], result.Report.Generations.Select(g => g.Mode));
        Assert.Equal(6, result.Images.Count);
        Assert.All(result.Images, i => Assert.Equal("image/png", SixLabors.ImageSharp.Image.DetectFormat(File.ReadAllBytes(i.Path)).DefaultMimeType));
        var spent = (await services.GetRequiredService<BudgetLedger>().GetStatusAsync(TinyFlexiDiTPack.Tenant)).Tenant.Spent;
        Assert.Equal(spent, result.Report.LedgerCharged);
        Assert.Equal(result.Report.GenerationsCharged, result.Report.LedgerCharged);

        var printed = new StringWriter();
        TranscriptPrinter.Write(result, printed);
        Assert.Contains("→ flexidit_estimate_image_cost(taskType: \"ad-creative\", count: 2)", printed.ToString());
        Assert.Contains("Spend report for tenant 'test-tenant' (from the ledger)", printed.ToString());
    }

    [Fact]
    public async Task Under_a_cap_below_the_planned_cost_the_slides_degrade_and_the_run_stays_within_it()
    {
        await using var services = Build();
        var policy = services.GetRequiredService<ComputePolicyEngine>();
        var ads = policy.Decide(new PolicyRequest { TaskType = "ad-creative", TenantId = TinyFlexiDiTPack.Tenant, Count = 2 });
        var slides = policy.Decide(new PolicyRequest { TaskType = "slide", TenantId = TinyFlexiDiTPack.Tenant, Count = 4 });
        var cap = ((PolicyApproval)ads).Cost + ((PolicyApproval)slides).Cost * 0.9m;

        var result = await services.GetRequiredService<BudgetAwareAgent>().RunAsync(DeckDemoChatClient.Request, new ImageRunLimits { MaxSpend = cap });

        Assert.Equal(["full", "cheap"], result.Report.Generations.Select(g => g.Mode));
        Assert.True(result.Report.Generations[1].Degraded);
        Assert.True(result.Report.LedgerCharged <= cap);
    }

    [Fact]
    public async Task When_the_quality_modes_are_predicted_slower_than_the_default_deadline_the_demo_asks_for_more_time()
    {
        // Forwards predicted at 20 s and more put every plan far past the 60 s default SLA of the pack's task types.
        var slow = Path.Combine(pack.Root, "slow-latency.json");
        File.WriteAllText(slow, """
            { "device": "slow test", "entries": [ { "patchSize": 2, "batch": 1, "ms": 20000 }, { "patchSize": 2, "batch": 16, "ms": 40000 },
              { "patchSize": 4, "batch": 1, "ms": 15000 }, { "patchSize": 4, "batch": 16, "ms": 30000 } ] }
            """);
        await using var services = Build(o => o.LatencyModelPath = slow);

        var result = await services.GetRequiredService<BudgetAwareAgent>().RunAsync(DeckDemoChatClient.Request, new ImageRunLimits { MaxSpend = 40m });

        Assert.Equal(6, result.Images.Count);
        Assert.Empty(result.Report.Refusals);
        var deadlines = result.Transcript.SelectMany(m => m.Items).OfType<Microsoft.SemanticKernel.FunctionCallContent>()
            .Where(c => c.FunctionName.EndsWith("generate_image", StringComparison.Ordinal))
            .Select(c => Convert.ToDouble(c.Arguments!["deadlineSeconds"], System.Globalization.CultureInfo.InvariantCulture))
            .ToList();
        Assert.Equal(2, deadlines.Count);
        Assert.All(deadlines, d => Assert.True(d > 60, $"deadline {d} s"));
    }

    public void Dispose()
    {
        pack.Dispose();
    }

    private ServiceProvider Build(Action<FlexiDiT.Extensions.AI.FlexiDiTOptions>? configure = null) => AgentChatHost.Build(
        new DeckDemoChatClient(),
        o =>
        {
            pack.Configure(o);
            configure?.Invoke(o);
        },
        o =>
        {
            o.TenantId = TinyFlexiDiTPack.Tenant;
            o.OutputDirectory = Path.Combine(pack.Root, "agent-images");
        });
}
