using FlexiDiT.SemanticKernel.Tests.Support;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;

namespace FlexiDiT.SemanticKernel.Tests;

/// <summary>The filter on direct (non-automatic) kernel invocations, where no model is involved.</summary>
public sealed class ImageBudgetFilterTests
{
    [Fact]
    public async Task A_direct_invocation_goes_through_the_filter_and_is_charged_once()
    {
        using var h = await AgentHarness.CreateAsync();
        var kernel = new Kernel();
        kernel.AddFlexiDiTImages(h.Tools());
        var run = kernel.AttachImageRun(new ImageRun(new ImageRunLimits { MaxCalls = 5, MaxSpend = 50m }));

        var result = await kernel.InvokeAsync(FlexiDiTImagePlugin.PluginName, FlexiDiTImageTools.GenerateFunction,
            new KernelArguments { ["prompt"] = "a yellow star", ["taskType"] = "thumbnail", ["count"] = 3 });

        Assert.StartsWith("3 images, mode weak70, 16.2 credits, 55% less compute than full.", result.GetValue<string>());
        Assert.Equal(1, run.Calls);
        Assert.Equal(16.2m, await h.SpentAsync());
        Assert.Equal(33.8m, run.SpendLeft);
    }

    [Fact]
    public async Task An_admitted_call_whose_function_never_runs_gives_its_hold_on_the_run_cap_back()
    {
        using var h = await AgentHarness.CreateAsync();
        var kernel = new Kernel();
        kernel.AddFlexiDiTImages(h.Tools());
        var run = kernel.AttachImageRun(new ImageRun(new ImageRunLimits { MaxSpend = 50m }));

        // The filter admits count "two" as one image; binding the argument to int then fails before the function runs.
        await Assert.ThrowsAnyAsync<Exception>(() => kernel.InvokeAsync(FlexiDiTImagePlugin.PluginName, FlexiDiTImageTools.GenerateFunction,
            new KernelArguments { ["prompt"] = "a yellow star", ["taskType"] = "thumbnail", ["count"] = "two" }));

        Assert.Empty(h.Generator.Calls);
        Assert.Equal(50m, run.SpendLeft);
    }

    [Fact]
    public async Task A_direct_invocation_over_budget_is_refused_by_the_filter_before_the_function_runs()
    {
        using var h = await AgentHarness.CreateAsync();
        var kernel = new Kernel();
        kernel.AddFlexiDiTImages(h.Tools(user: "intern"));

        var result = await kernel.InvokeAsync(FlexiDiTImagePlugin.PluginName, FlexiDiTImageTools.GenerateFunction,
            new KernelArguments { ["prompt"] = "a red circle", ["taskType"] = "ad-creative", ["count"] = 3 });

        Assert.StartsWith("Refused: the budget leaves 20 credits", result.GetValue<string>());
        Assert.Empty(h.Generator.Calls);
    }

    [Fact]
    public async Task An_unknown_task_type_in_an_estimate_becomes_a_refusal_the_model_can_read()
    {
        using var h = await AgentHarness.CreateAsync();
        var kernel = new Kernel();
        kernel.AddFlexiDiTImages(h.Tools());

        var result = await kernel.InvokeAsync(FlexiDiTImagePlugin.PluginName, FlexiDiTImageTools.EstimateFunction,
            new KernelArguments { ["taskType"] = "poster", ["count"] = 1 });

        Assert.Contains("unknown task type 'poster'; known: ", result.GetValue<string>());
    }

    [Fact]
    public async Task Functions_of_other_plugins_are_not_counted_or_refused()
    {
        using var h = await AgentHarness.CreateAsync();
        var kernel = new Kernel();
        kernel.AddFlexiDiTImages(h.Tools());
        var run = kernel.AttachImageRun(new ImageRun(new ImageRunLimits { MaxCalls = 1 }));
        run.Stop("test");
        kernel.Plugins.AddFromFunctions("other", [KernelFunctionFactory.CreateFromMethod(() => "pong", "ping")]);

        var result = await kernel.InvokeAsync("other", "ping");

        Assert.Equal("pong", result.GetValue<string>());
        Assert.Equal(0, run.Calls);
    }

    [Fact]
    public async Task Without_an_attached_run_each_automatic_request_gets_fresh_caps()
    {
        using var h = await AgentHarness.CreateAsync();
        var builder = Kernel.CreateBuilder();
        var model = new ScriptedChatClient(turn => turn.Messages.Count(m => m.Role == Microsoft.Extensions.AI.ChatRole.Tool) switch
        {
            < 2 => turn.Call("generate_image", new() { ["prompt"] = "a red circle", ["taskType"] = "draft" }),
            _ => ScriptedChatClient.Say("done"),
        });
        builder.Services.AddSingleton(Microsoft.Extensions.AI.ChatClientBuilderChatClientExtensions.AsBuilder(model).UseKernelFunctionInvocation().Build().AsChatCompletionService());
        builder.AddFlexiDiTImages(h.Tools(limits: new ImageRunLimits { MaxCalls = 2 }));
        var kernel = builder.Build();
        var chat = kernel.GetRequiredService<IChatCompletionService>();
        var settings = new PromptExecutionSettings { FunctionChoiceBehavior = FunctionChoiceBehavior.Auto() };

        // Two calls per request hit a cap of two calls per run; a run spanning both requests would refuse the third.
        var first = await chat.GetChatMessageContentAsync(new ChatHistory("Two drafts."), settings, kernel);
        var second = await chat.GetChatMessageContentAsync(new ChatHistory("Two more."), settings, kernel);

        Assert.Equal("done", first.Content);
        Assert.Equal("done", second.Content);
        Assert.Equal(4, h.Generator.Calls.Count);
    }
}
