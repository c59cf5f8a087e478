using FlexiDiT.AgentChat;
using Microsoft.Extensions.DependencyInjection;

namespace FlexiDiT.SemanticKernel.Tests;

/// <summary>The agent chat's composition (SK plugin, filter, ledger) on a scenes pack: the tool says what the model ignored and refuses prompts that name nothing.</summary>
public sealed class ScenesAgentTests : IDisposable
{
    private readonly TinyFlexiDiTPack pack = TinyFlexiDiTPack.CreateScenes();

    private ServiceProvider Build() => AgentChatHost.Build(
        new DeckDemoChatClient(),
        pack.Configure,
        o =>
        {
            o.TenantId = TinyFlexiDiTPack.Tenant;
            o.OutputDirectory = Path.Combine(pack.Root, "agent-images");
        });

    [Fact]
    public async Task The_tool_reply_names_the_ignored_words_and_a_prompt_that_names_nothing_is_refused_with_examples()
    {
        await using var services = Build();
        var tools = services.GetRequiredService<FlexiDiTImageTools>();
        var run = tools.StartRun();

        var drawn = await tools.GenerateAsync(run, new ImageRequest("a small green triangle next to a giraffe", "slide", 1));
        Assert.True(drawn.Succeeded, drawn.Message);
        Assert.Contains("The model does not know 'next', 'giraffe' and left them out of the image.", drawn.Message);
        Assert.Equal(["next", "giraffe"], drawn.Generation!.IgnoredWords);

        var clean = await tools.GenerateAsync(run, new ImageRequest("a small green triangle", "slide", 1));
        Assert.True(clean.Succeeded, clean.Message);
        Assert.DoesNotContain("does not know", clean.Message);

        decimal spent = run.Spent;
        var refused = await tools.GenerateAsync(run, new ImageRequest("a lighthouse at dusk", "slide", 1));
        Assert.False(refused.Succeeded);
        Assert.Contains("names nothing this model draws", refused.Message);
        Assert.Contains("\"a red circle\"", refused.Message);
        Assert.Contains("Nothing was charged", refused.Message);
        Assert.Equal(spent, run.Spent);
    }

    [Fact]
    public async Task A_deadline_longer_than_a_budget_hold_is_refused_by_the_generator_with_advice_to_shorten_it()
    {
        await using var services = Build();
        var tools = services.GetRequiredService<FlexiDiTImageTools>();
        var run = tools.StartRun();

        var refused = await tools.GenerateAsync(run, new ImageRequest("a small green triangle", "slide", 1, DeadlineSeconds: 86400));

        Assert.False(refused.Succeeded);
        Assert.Contains("(the budget hold's limit); got 86400 seconds", refused.Message);
        Assert.Contains("Allow a shorter deadline", refused.Message);
        Assert.Contains("Nothing was charged", refused.Message);
        Assert.Equal(0m, run.Spent);
    }

    [Fact]
    public async Task The_deck_demo_runs_on_a_scenes_pack()
    {
        await using var services = Build();
        var result = await services.GetRequiredService<BudgetAwareAgent>().RunAsync(DeckDemoChatClient.Request, new ImageRunLimits { MaxSpend = 40m });
        Assert.Equal(6, result.Images.Count);
        Assert.Empty(result.Report.Refusals);
        Assert.Equal(result.Report.GenerationsCharged, result.Report.LedgerCharged);
    }

    public void Dispose()
    {
        pack.Dispose();
    }
}
