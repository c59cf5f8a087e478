using FlexiDiT.SemanticKernel.Tests.Support;
using Microsoft.SemanticKernel;

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
        var run = kernel.AttachImageRun(new ImageRun(new ImageRunLimits { MaxCalls = 5 }));

        var result = await kernel.InvokeAsync(FlexiDiTImagePlugin.PluginName, FlexiDiTImageTools.GenerateFunction,
            new KernelArguments { ["prompt"] = "a yellow star", ["taskType"] = "thumbnail", ["count"] = 3 });

        Assert.StartsWith("3 images, mode weak70, 16.2 credits, 55% less compute than full.", result.GetValue<string>());
        Assert.Equal(1, run.Calls);
        Assert.Equal(16.2m, await h.SpentAsync());
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
}
