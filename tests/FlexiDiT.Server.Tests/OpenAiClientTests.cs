using System.ClientModel;
using FlexiDiT.Server.Tests.Support;
using Microsoft.Extensions.AI;
using OpenAI;

namespace FlexiDiT.Server.Tests;

/// <summary>The official OpenAI SDK (through MEAI's <c>AsIImageGenerator</c>) against the server, as a copilot would use it.</summary>
[Collection(ServerCollection.Name)]
public sealed class OpenAiClientTests(ServerFixture server)
{
    private IImageGenerator Generator(string key) =>
        new OpenAIClient(new ApiKeyCredential(key), new OpenAIClientOptions { Endpoint = new Uri(server.BaseAddress, "/v1") })
            .GetImageClient(TinyFlexiDiTPack.Name)
            .AsIImageGenerator();

    [Fact]
    public async Task The_OpenAI_SDK_generates_pngs_charged_to_its_keys_tenant()
    {
        using var generator = Generator(ServerFixture.TenantKey);
        using var client = server.Client(ServerFixture.TenantKey);
        var before = await client.TenantSpentAsync();

        var response = await generator.GenerateImagesAsync("a cyan cross", new ImageGenerationOptions { Count = 2, ResponseFormat = ImageGenerationResponseFormat.Data });

        var images = response.Contents.OfType<DataContent>().ToList();
        Assert.Equal(2, images.Count);
        Assert.All(images, i => Assert.Equal("image/png", SixLabors.ImageSharp.Image.DetectFormat(i.Data.ToArray()).DefaultMimeType));
        Assert.True(await client.TenantSpentAsync() > before);
    }

    [Fact]
    public async Task The_OpenAI_SDK_sees_an_exhausted_budget_as_a_402_error()
    {
        using var generator = Generator(ServerFixture.BrokeKey);

        var error = await Assert.ThrowsAsync<ClientResultException>(() => generator.GenerateImagesAsync("a cyan cross"));

        Assert.Equal(402, error.Status);
        Assert.Contains("credits left cannot pay", error.Message);
    }
}
