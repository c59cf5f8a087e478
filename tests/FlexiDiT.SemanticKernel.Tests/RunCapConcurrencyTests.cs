using FlexiDiT.SemanticKernel.Tests.Support;
using Microsoft.Extensions.AI;

namespace FlexiDiT.SemanticKernel.Tests;

/// <summary>A run's spending cap holds when a model's tool calls run at the same time.</summary>
public sealed class RunCapConcurrencyTests
{
    [Fact]
    public async Task Concurrent_calls_of_one_run_cannot_together_spend_more_than_its_cap()
    {
        using var h = await AgentHarness.CreateAsync();
        var gate = new MeetingGenerator(h.Generator);
        var tools = new FlexiDiTImageTools(gate, h.Policy, h.Ledger, new FlexiDiTToolOptions { TenantId = "agency", OutputDirectory = h.ImagesFolder });
        var run = tools.StartRun(new ImageRunLimits { MaxSpend = 20m });

        // Each costs 14.4 (two slides in weak50); admitted together against the same 20 credits, both would run.
        var results = await Task.WhenAll(
            tools.GenerateAsync(run, new ImageRequest("a red circle", "slide", 2)),
            tools.GenerateAsync(run, new ImageRequest("a blue square", "slide", 2)));

        Assert.Single(results, r => r.Succeeded);
        Assert.Equal(ToolRefusalKind.RunSpendCap, Assert.Single(results, r => !r.Succeeded).Refusal!.Kind);
        Assert.Equal(14.4m, await h.SpentAsync());
        Assert.Equal(5.6m, run.SpendLeft);
    }

    /// <summary>Lets the first caller wait briefly for a second, so two admitted calls overlap in the generator.</summary>
    private sealed class MeetingGenerator(IImageGenerator inner) : DelegatingImageGenerator(inner)
    {
        private readonly TaskCompletionSource second = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int arrivals;

        public override async Task<ImageGenerationResponse> GenerateAsync(ImageGenerationRequest request, ImageGenerationOptions? options = null, CancellationToken cancellationToken = default)
        {
            if (Interlocked.Increment(ref arrivals) == 2)
            {
                second.SetResult();
            }

            await Task.WhenAny(second.Task, Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken));
            return await base.GenerateAsync(request, options, cancellationToken);
        }
    }
}
