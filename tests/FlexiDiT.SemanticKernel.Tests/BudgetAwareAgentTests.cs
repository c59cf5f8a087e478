using FlexiDiT.SemanticKernel.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace FlexiDiT.SemanticKernel.Tests;

/// <summary>
/// The agent end to end: scripted models emit real function calls through SK's function-invoking chat client, the
/// plugin and the budget filter; every charge goes through the ledger.
/// </summary>
public sealed class BudgetAwareAgentTests
{
    private const string DeckRequest = "Images for a 6-slide deck, two of them ad-quality, within 40 credits.";

    private static Dictionary<string, object?> Gen(string prompt, string taskType, int count) =>
        new() { ["prompt"] = prompt, ["taskType"] = taskType, ["count"] = count };

    [Fact]
    public async Task A_deck_that_fits_is_generated_at_each_task_quality_and_reported_from_the_ledger()
    {
        using var h = await AgentHarness.CreateAsync();
        var model = new ScriptedChatClient(turn => turn.Number switch
        {
            1 => turn.Call("generate_image", Gen("a red circle logo", "ad-creative", 2)),
            2 => turn.Call("generate_image", Gen("a blue square diagram", "slide", 4)),
            _ => ScriptedChatClient.Say("Here are your six deck images."),
        });
        var agent = new BudgetAwareAgent(model, h.Tools(), loggerFactory: h.Logger);

        var result = await agent.RunAsync(DeckRequest, new ImageRunLimits { MaxSpend = 50m });

        Assert.Equal("Here are your six deck images.", result.Answer);
        Assert.False(result.Terminated);
        Assert.Equal(46.8m, result.Report.LedgerCharged);
        Assert.Equal(46.8m, await h.SpentAsync());
        Assert.Equal(["weak30", "weak50"], result.Report.Generations.Select(g => g.Mode));
        Assert.All(result.Report.Generations, g => Assert.False(g.Degraded));
        Assert.Equal(6, result.Images.Count);
        Assert.Empty(result.Report.Refusals);
        Assert.Contains("Charged by the ledger: 46.8 credits for 6 images (run cap 50)", result.ToText());

        // The instructions carry the live budget and each task type's price; the tools were offered to the model.
        var first = model.Requests.First();
        var instructions = string.Join("\n", first.Messages.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
        Assert.Contains("1000 credits left for tenant 'agency'", instructions);
        Assert.Contains("This run may spend at most 50 credits and make at most 12 tool calls", instructions);
        Assert.Contains("- slide (FD ≤ 1.05× full; may degrade when the budget is short): mode weak50, 7.2 credits", instructions);
        Assert.Contains("- ad-creative (FD ≤ 1.02× full and class accuracy ≥ 0.95; never degraded", instructions);
        Assert.Contains("Every mode, credits per image (the first is full compute): full 12, weak30 9, weak50 7.2, weak70 5.4, steps-half-weak50 3.6.", instructions);
        Assert.Equal(3, first.Options!.Tools!.Count);
        var generate = first.Options.Tools.OfType<AIFunctionDeclaration>().Single(t => t.Name.EndsWith("generate_image", StringComparison.Ordinal));
        Assert.Equal(["prompt", "taskType", "count", "deadlineSeconds"], generate.JsonSchema.GetProperty("properties").EnumerateObject().Select(p => p.Name));
        Assert.Equal(["prompt"], generate.JsonSchema.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task A_deck_over_the_cap_is_planned_with_estimates_and_the_slides_degrade_to_stay_within_40_credits()
    {
        using var h = await AgentHarness.CreateAsync();
        var model = new ScriptedChatClient(turn => turn.Number switch
        {
            1 => ScriptedChatClient.Call(
                (turn.Tool("estimate_image_cost"), new() { ["taskType"] = "ad-creative", ["count"] = 2 }),
                (turn.Tool("estimate_image_cost"), new() { ["taskType"] = "slide", ["count"] = 4 })),
            2 => turn.Call("generate_image", Gen("a red circle logo", "ad-creative", 2)),
            3 => turn.Call("generate_image", Gen("a blue square diagram", "slide", 4)),
            _ => ScriptedChatClient.Say("Done: two ad images at full quality, four slides in a cheaper mode."),
        });
        var agent = new BudgetAwareAgent(model, h.Tools(), loggerFactory: h.Logger);

        var result = await agent.RunAsync(DeckRequest, new ImageRunLimits { MaxSpend = 40m });

        // The estimates reached the model: 18 credits for the ads, 28.8 for the slides at their floor.
        var estimates = model.Requests.ElementAt(1).Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>()
            .Select(r => Assert.IsType<CostEstimate>(r.Result)).ToDictionary(e => e.TaskType);
        Assert.Equal(("weak30", 18m), (estimates["ad-creative"].WouldRun, estimates["ad-creative"].WouldCost));
        Assert.Equal(("weak50", 28.8m), (estimates["slide"].WouldRun, estimates["slide"].WouldCost));

        // 18 spent on the ads leaves 22 of the cap: the slides cannot have weak50 (28.8) and degrade.
        var slides = result.Report.Generations[1];
        Assert.Equal("steps-half-weak50", slides.Mode);
        Assert.True(slides.Degraded);
        Assert.Equal(32.4m, result.Report.LedgerCharged);
        Assert.True(result.Report.LedgerCharged <= 40m);
        Assert.Equal(32.4m, await h.SpentAsync());
        Assert.Contains("degraded to fit the budget", result.Report.ToText());
        Assert.Contains("Degraded below the 'slide' quality floor", model.Requests.ElementAt(3).Messages[^1].Contents.OfType<FunctionResultContent>().Single().Result?.ToString());
    }

    [Fact]
    public async Task A_model_that_keeps_calling_hits_the_call_cap_and_the_filter_ends_the_loop()
    {
        using var h = await AgentHarness.CreateAsync();
        var model = new ScriptedChatClient(turn => turn.Call("generate_image", Gen($"a red circle #{turn.Number}", "draft", 1)));
        var agent = new BudgetAwareAgent(model, h.Tools(), loggerFactory: h.Logger);

        var result = await agent.RunAsync("Draw red circles until I say stop.", new ImageRunLimits { MaxCalls = 3 });

        Assert.True(result.Terminated);
        Assert.Null(result.Answer);
        Assert.Equal(4, model.Requests.Count);
        Assert.Equal(3, h.Generator.Calls.Count);
        Assert.Equal(10.8m, result.Report.LedgerCharged);
        Assert.Equal(ToolRefusalKind.RunCallCap, Assert.Single(result.Report.Refusals).Kind);
        Assert.Equal("the run reached its limit of 3 tool calls", result.Report.StopReason);
        Assert.Contains(h.Logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("ended the function-calling loop"));
    }

    [Fact]
    public async Task A_model_that_ignores_a_budget_refusal_is_stopped_by_the_filter_without_spending()
    {
        using var h = await AgentHarness.CreateAsync();

        // The intern has 20 credits; four ad-creative images cost 36 and ad-creative never degrades.
        var model = new ScriptedChatClient(turn => turn.Call("generate_image", Gen("a red circle", "ad-creative", 4)));
        var agent = new BudgetAwareAgent(model, h.Tools(user: "intern"), loggerFactory: h.Logger);

        var result = await agent.RunAsync("Four ad images of a red circle, now.");

        Assert.True(result.Terminated);
        Assert.Equal(2, model.Requests.Count);
        Assert.Empty(h.Generator.Calls);
        Assert.Equal(0m, result.Report.LedgerCharged);
        Assert.Equal(0m, await h.SpentAsync(user: "intern"));
        Assert.Equal(2, result.Report.Refusals.Count);
        Assert.All(result.Report.Refusals, r => Assert.Equal(ToolRefusalKind.Budget, r.Kind));

        // What the model was told after its first try: what would fit instead.
        var told = model.Requests.ElementAt(1).Messages[^1].Contents.OfType<FunctionResultContent>().Single().Result?.ToString();
        Assert.Contains("the budget leaves 20 credits", told);
        Assert.Contains("ask for 2 images of 'ad-creative' instead", told);
        Assert.Equal(2, h.Logger.Entries.Count(e => e.Message.Contains("refused generate_image (Budget)")));
        Assert.Contains("Run stopped: 2 tool calls were refused", result.ToText());
    }

    [Fact]
    public async Task A_conversation_keeps_its_history_and_each_turn_gets_fresh_instructions_and_its_own_run()
    {
        using var h = await AgentHarness.CreateAsync();
        var model = new ScriptedChatClient(turn => turn.Messages[^1].Role == ChatRole.User && turn.Messages[^1].Text.StartsWith("Make", StringComparison.Ordinal)
            ? turn.Call("generate_image", Gen("a red circle", "draft", 1))
            : ScriptedChatClient.Say("ok"));
        var agent = new BudgetAwareAgent(model, h.Tools(), loggerFactory: h.Logger);
        var history = new Microsoft.SemanticKernel.ChatCompletion.ChatHistory();

        var first = await agent.RunAsync("Make one draft.", history: history);
        var second = await agent.RunAsync("Thanks.", history: history);

        Assert.Equal(3.6m, first.Report.LedgerCharged);
        Assert.Equal(0m, second.Report.LedgerCharged);
        Assert.Empty(second.Run.Generations);
        Assert.Contains("996.4 credits left", model.Requests.Last().Messages[0].Text);
        Assert.Single(history, m => m.Role == Microsoft.SemanticKernel.ChatCompletion.AuthorRole.System);
        Assert.Equal("ok", second.Answer);
    }
}
