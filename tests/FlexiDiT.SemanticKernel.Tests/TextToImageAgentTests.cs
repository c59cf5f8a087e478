using FlexiDiT.AgentChat;
using FlexiDiT.Packs;
using Microsoft.Extensions.DependencyInjection;

namespace FlexiDiT.SemanticKernel.Tests;

/// <summary>The agent chat demo's composition (SK plugin, filter, ledger) on a text-to-image pack: the tool's prompts go to the text encoder.</summary>
public sealed class TextToImageAgentTests : IDisposable
{
    private readonly TinyFlexiDiTPack pack = TinyFlexiDiTPack.Create(PackKind.TextToImage);

    [Fact]
    public async Task The_deck_demo_generates_its_images_from_the_prompts_on_a_text_to_image_pack()
    {
        await using var services = AgentChatHost.Build(
            new DeckDemoChatClient(),
            pack.Configure,
            o =>
            {
                o.TenantId = TinyFlexiDiTPack.Tenant;
                o.OutputDirectory = Path.Combine(pack.Root, "agent-images");
            });

        var result = await services.GetRequiredService<BudgetAwareAgent>().RunAsync(DeckDemoChatClient.Request, new ImageRunLimits { MaxSpend = 40m });

        Assert.Equal(6, result.Images.Count);
        Assert.Empty(result.Report.Refusals);
        Assert.All(result.Images, i => Assert.Equal("image/png", SixLabors.ImageSharp.Image.DetectFormat(File.ReadAllBytes(i.Path)).DefaultMimeType));
        Assert.Equal(result.Report.GenerationsCharged, result.Report.LedgerCharged);
    }

    public void Dispose()
    {
        pack.Dispose();
    }
}
