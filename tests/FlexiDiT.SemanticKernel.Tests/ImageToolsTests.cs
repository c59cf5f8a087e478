using FlexiDiT.Extensions.AI;
using FlexiDiT.SemanticKernel.Tests.Support;
using Microsoft.Extensions.Logging;

namespace FlexiDiT.SemanticKernel.Tests;

public sealed class ImageToolsTests
{
    [Fact]
    public async Task Generate_charges_the_ledger_saves_pngs_and_reports_mode_cost_and_saving()
    {
        using var h = await AgentHarness.CreateAsync();
        var tools = h.Tools();
        var run = tools.StartRun();

        var result = await tools.GenerateAsync(run, new ImageRequest("a red circle", "slide", 2));

        Assert.True(result.Succeeded, result.Message);
        Assert.StartsWith("2 images, mode weak50, 14.4 credits, 40% less compute than full.", result.Message);
        Assert.Equal(14.4m, await h.SpentAsync());
        Assert.Equal(14.4m, run.Spent);
        Assert.Equal(2, run.Images.Count);
        foreach (var image in run.Images)
        {
            Assert.True(TinyPng.IsPng(await File.ReadAllBytesAsync(image.Path)));
            Assert.Contains(image.Uri.AbsoluteUri, result.Message);
            Assert.Equal("image/png", image.Content.MediaType);
        }

        var call = Assert.Single(h.Generator.Calls);
        Assert.Equal("agency", call.GetTenant());
        Assert.Equal("slide", call.GetTaskType());
        Assert.Equal("weak50", call.GetMode());
        Assert.Equal(2, call.Count);
    }

    [Fact]
    public async Task Estimate_prices_every_mode_cheapest_first_and_names_the_mode_that_would_run()
    {
        using var h = await AgentHarness.CreateAsync();
        var estimate = await h.Tools().EstimateAsync(null, "slide", 4);

        Assert.Equal(["steps-half-weak50", "weak70", "weak50", "weak30", "full"], estimate.Modes.Select(m => m.Mode));
        Assert.Equal([14.4m, 21.6m, 28.8m, 36m, 48m], estimate.Modes.Select(m => m.Credits));
        Assert.Equal([false, false, true, true, true], estimate.Modes.Select(m => m.MeetsQualityFloor));
        Assert.Equal(40, estimate.Modes.Single(m => m.Mode == "weak50").ComputeSavedPercent);
        // The saving splits into FlexiDiT's at the mode's own steps and fewer steps' (0.6 × 0.5 = 0.3 of full compute's FLOPs).
        var weak50 = estimate.Modes.Single(m => m.Mode == "weak50");
        Assert.Equal((40, 0), (weak50.FlexiDiTSavedPercent, weak50.FewerStepsSavedPercent));
        var halfSteps = estimate.Modes.Single(m => m.Mode == "steps-half-weak50");
        Assert.Equal((40, 50, 70), (halfSteps.FlexiDiTSavedPercent, halfSteps.FewerStepsSavedPercent, halfSteps.ComputeSavedPercent));
        Assert.Equal("weak50", estimate.WouldRun);
        Assert.Equal(28.8m, estimate.WouldCost);
        Assert.Equal(1000m, estimate.CreditsAvailable);
        Assert.Empty(h.Generator.Calls);
    }

    [Fact]
    public async Task Budget_status_reads_spent_remaining_and_period_end_from_the_ledger()
    {
        using var h = await AgentHarness.CreateAsync();
        var tools = h.Tools(user: "intern");
        var run = tools.StartRun(new ImageRunLimits { MaxSpend = 10m, MaxCalls = 5 });
        await tools.GenerateAsync(run, new ImageRequest("a blue square", "draft", 1));

        var status = await tools.GetBudgetStatusAsync(run);

        Assert.Equal(3.6m, status.Spent);
        Assert.Equal(20m, status.Limit);
        Assert.Equal(16.4m, status.Remaining);
        var now = DateTimeOffset.UtcNow;
        Assert.Equal(new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1), status.PeriodEnd);
        Assert.Equal(3.6m, status.RunSpent);
        Assert.Equal(6.4m, status.RunSpendLeft);
        Assert.Equal(4, status.RunCallsLeft);
    }

    [Fact]
    public async Task The_run_cap_degrades_a_task_that_may_degrade_to_a_mode_it_can_pay()
    {
        using var h = await AgentHarness.CreateAsync();
        var tools = h.Tools();
        var run = tools.StartRun(new ImageRunLimits { MaxSpend = 20m });

        var result = await tools.GenerateAsync(run, new ImageRequest("a green triangle", "slide", 4));

        Assert.True(result.Succeeded, result.Message);
        Assert.Equal("steps-half-weak50", result.Generation!.Mode);
        Assert.True(result.Generation.Degraded);
        Assert.Contains("Degraded below the 'slide' quality floor", result.Message);
        Assert.EndsWith("Credits left for this run: 5.6.", result.Message);
        Assert.Equal(5.6m, run.SpendLeft);
        Assert.Equal(14.4m, await h.SpentAsync());
    }

    [Fact]
    public async Task A_request_over_the_run_cap_that_may_not_degrade_is_refused_with_advice_and_logged()
    {
        using var h = await AgentHarness.CreateAsync();
        var tools = h.Tools();
        var run = tools.StartRun(new ImageRunLimits { MaxSpend = 20m });

        var result = await tools.GenerateAsync(run, new ImageRequest("a red circle", "ad-creative", 4));

        Assert.False(result.Succeeded);
        Assert.Equal(ToolRefusalKind.RunSpendCap, result.Refusal!.Kind);
        Assert.Contains("this run's spending cap leaves 20 credits", result.Message);
        Assert.Contains("ask for 2 images of 'ad-creative' instead: mode weak30, 18 credits", result.Message);
        Assert.Contains("use the cheaper task type 'draft'", result.Message);
        Assert.Contains("Do not repeat the same request", result.Message);
        Assert.Equal(0m, await h.SpentAsync());
        Assert.Empty(h.Generator.Calls);
        Assert.Contains(h.Logger.Entries, e => e.Level == LogLevel.Warning && e.Message.Contains("refused generate_image (RunSpendCap)"));
    }

    [Fact]
    public async Task The_ledger_budget_refuses_when_nothing_fits_and_says_to_stop()
    {
        using var h = await AgentHarness.CreateAsync();
        await h.Ledger.SetBudgetOverrideAsync("sandbox", null, 0.005m);
        var tools = h.Tools(tenant: "sandbox");

        var result = await tools.GenerateAsync(tools.StartRun(), new ImageRequest("a red circle", "draft", 1));

        Assert.Equal(ToolRefusalKind.Budget, result.Refusal!.Kind);
        Assert.Contains("the budget leaves 0.005 credits", result.Message);
        Assert.Contains("Stop generating images", result.Message);
    }

    [Fact]
    public async Task Unknown_or_disallowed_task_types_are_refused_naming_the_allowed_ones()
    {
        using var h = await AgentHarness.CreateAsync();
        var tools = h.Tools(tenant: "sandbox");

        var result = await tools.GenerateAsync(tools.StartRun(), new ImageRequest("a red circle", "ad-creative", 1));

        Assert.Equal(ToolRefusalKind.Policy, result.Refusal!.Kind);
        Assert.Contains("Use one of these task types: draft, thumbnail.", result.Message);
    }

    [Fact]
    public async Task The_call_after_the_cap_is_refused_and_stops_the_run()
    {
        using var h = await AgentHarness.CreateAsync();
        var tools = h.Tools();
        var run = tools.StartRun(new ImageRunLimits { MaxCalls = 2 });

        Assert.True((await tools.AdmitAsync(run, FlexiDiTImageTools.BudgetFunction, null)).IsAllowed);
        Assert.True((await tools.GenerateAsync(run, new ImageRequest("a red circle", "draft"))).Succeeded);
        var third = await tools.GenerateAsync(run, new ImageRequest("a red circle", "draft"));
        var fourth = await tools.AdmitAsync(run, FlexiDiTImageTools.EstimateFunction, null);

        Assert.Equal(ToolRefusalKind.RunCallCap, third.Refusal!.Kind);
        Assert.Contains("used all 2 tool calls", third.Message);
        Assert.True(run.IsStopped);
        Assert.Equal(ToolRefusalKind.RunStopped, fourth.Refusal!.Kind);
        Assert.Single(h.Generator.Calls);
    }
}
