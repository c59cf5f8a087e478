using FlexiDiT.Extensions.AI;
using FlexiDiT.SemanticKernel.Tests.Support;
using Microsoft.Extensions.AI;

namespace FlexiDiT.SemanticKernel.Tests;

/// <summary>The same tools for plain MEAI chat clients, and the hosted image generation tool wired to FlexiDiT.</summary>
public sealed class ChatClientToolsTests
{
    [Fact]
    public async Task AIFunctions_return_the_images_as_DataContent_through_function_invocation()
    {
        using var h = await AgentHarness.CreateAsync();
        var tools = new FlexiDiTChatTools(h.Tools());
        var model = new ScriptedChatClient(turn => turn.Number == 1
            ? turn.Call("generate_image", new() { ["prompt"] = "a red circle", ["taskType"] = "thumbnail", ["count"] = 2 })
            : ScriptedChatClient.Say("Two thumbnails."));
        using var client = model.AsBuilder().UseFunctionInvocation().Build();

        var response = await client.GetResponseAsync("Two thumbnails of a red circle.", new ChatOptions { Tools = tools.AsAITools() });

        Assert.Equal("Two thumbnails.", response.Text);
        var result = response.Messages.SelectMany(m => m.Contents).OfType<FunctionResultContent>().Single();
        var contents = Assert.IsAssignableFrom<IEnumerable<AIContent>>(result.Result).ToList();
        Assert.StartsWith("2 images, mode weak70, 10.8 credits", Assert.IsType<TextContent>(contents[0]).Text);
        Assert.Equal(2, contents.OfType<DataContent>().Count(d => d.MediaType == "image/png" && TinyPng.IsPng(d.Data.ToArray())));
        Assert.Equal(10.8m, await h.SpentAsync());
        Assert.Equal(["generate_image", "estimate_image_cost", "get_budget_status"], model.Requests.First().Options!.Tools!.Select(t => t.Name));
    }

    [Fact]
    public async Task AIFunctions_end_the_loop_once_the_run_is_stopped()
    {
        using var h = await AgentHarness.CreateAsync();
        var tools = new FlexiDiTChatTools(h.Tools(user: "intern"), new ImageRun(new ImageRunLimits { MaxRefusals = 1 }));
        var model = new ScriptedChatClient(turn => turn.Call("generate_image", new() { ["prompt"] = "a red circle", ["taskType"] = "ad-creative", ["count"] = 4 }));
        using var client = model.AsBuilder().UseFunctionInvocation().Build();

        await client.GetResponseAsync("Four ads.", new ChatOptions { Tools = tools.AsAITools() });

        Assert.Single(model.Requests);
        Assert.True(tools.Run.IsStopped);
        Assert.Empty(h.Generator.Calls);
    }

    [Fact]
    public async Task The_hosted_image_generation_tool_runs_on_FlexiDiT_and_charges_the_hosts_tenant()
    {
        using var h = await AgentHarness.CreateAsync();
        var model = new ScriptedChatClient(turn =>
        {
            if (turn.Number > 1)
            {
                return ScriptedChatClient.Say("Here it is.");
            }

            // MEAI turns the hosted tool into functions; the model calls the one that generates.
            var generate = turn.ToolNames.Single(n => n.Contains("Generate", StringComparison.OrdinalIgnoreCase));
            return ScriptedChatClient.Call((generate, new() { ["prompt"] = "a purple hexagon" }));
        });
        using var client = model.AsBuilder()
            .UseFlexiDiTImageGeneration(h.Generator, "agency", userId: "intern", defaultTaskType: "draft")
            .UseFunctionInvocation()
            .Build();

        // The tool's own options try to bill another tenant; the host's tenant wins.
        var tool = new HostedImageGenerationTool { Options = new ImageGenerationOptions { Count = 2 }.WithTaskType("thumbnail").WithTenant("sandbox") };
        var response = await client.GetResponseAsync("A purple hexagon thumbnail, twice.", new ChatOptions { Tools = [tool] });

        var call = Assert.Single(h.Generator.Calls);
        Assert.Equal("agency", call.GetTenant());
        Assert.Equal("intern", call.GetUser());
        Assert.Equal("thumbnail", call.GetTaskType());
        Assert.Equal(10.8m, await h.SpentAsync(user: "intern"));
        Assert.Equal(0m, await h.SpentAsync(tenant: "sandbox"));
        var images = response.Messages.SelectMany(m => m.Contents).OfType<ImageGenerationToolResultContent>().Single().Outputs!;
        Assert.Equal(2, images.OfType<DataContent>().Count(d => d.MediaType == "image/png"));
    }

    [Fact]
    public async Task Disposing_the_chat_client_leaves_the_shared_generator_usable()
    {
        using var h = await AgentHarness.CreateAsync();
        var disposable = new DisposeTrackingGenerator(h.Generator);
        var client = new ScriptedChatClient(_ => ScriptedChatClient.Say("hi")).AsBuilder()
            .UseFlexiDiTImageGeneration(disposable, "agency")
            .Build();

        await client.GetResponseAsync("hi", new ChatOptions { Tools = [new HostedImageGenerationTool()] });
        client.Dispose();

        Assert.False(disposable.Disposed);
    }

    private sealed class DisposeTrackingGenerator(IImageGenerator inner) : DelegatingImageGenerator(inner)
    {
        public bool Disposed { get; private set; }

        protected override void Dispose(bool disposing)
        {
            Disposed = true;
            base.Dispose(disposing);
        }
    }
}
