using System.Net;
using FlexiDiT.Packs;
using FlexiDiT.Server.Tests.Support;
using SixLabors.ImageSharp;

namespace FlexiDiT.Server.Tests;

/// <summary><c>POST /v1/images/generations</c> on a text-to-image pack: the prompt reaches the text encoder as it is.</summary>
[Collection(ServerCollection.Name)]
public sealed class TextToImageServerTests(ServerFixture server)
{
    [Fact]
    public async Task A_text_to_image_pack_draws_any_prompt_and_reports_the_saving()
    {
        using var pack = TinyFlexiDiTPack.Create(PackKind.TextToImage);
        await using var started = await PackServer.StartAsync(server, pack);
        var client = started.Client;

        // No Shapes class is named: a class pack would answer 400 with the closest classes.
        using var response = await client.PostGenerationAsync(new { prompt = "a lighthouse at dusk", n = 2, task_type = "slide" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadNodeAsync();
        var data = body["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        foreach (var item in data)
        {
            using var image = Image.Load(Convert.FromBase64String(item!["b64_json"]!.GetValue<string>()));
            Assert.Equal((32, 32), (image.Width, image.Height));
            Assert.Equal("a lighthouse at dusk", item["revised_prompt"]!.GetValue<string>());
        }

        Assert.Equal("weak", body["flexidit"]!["mode"]!.GetValue<string>());
        Assert.True(body["flexidit"]!["compute_saved_percent"]!.GetValue<int>() > 0);
    }
}
