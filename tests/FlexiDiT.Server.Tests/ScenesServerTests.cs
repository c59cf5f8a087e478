using System.Net;
using FlexiDiT.Server.Tests.Support;

namespace FlexiDiT.Server.Tests;

/// <summary><c>POST /v1/images/generations</c> on a scenes pack: ignored words in the response, prompts that name nothing a 400 with examples.</summary>
[Collection(ServerCollection.Name)]
public sealed class ScenesServerTests(ServerFixture server)
{
    [Fact]
    public async Task The_response_lists_the_ignored_words_and_a_prompt_that_names_nothing_is_a_400_with_examples()
    {
        using var pack = TinyFlexiDiTPack.CreateScenes();
        await using var started = await PackServer.StartAsync(server, pack);
        var client = started.Client;

        using (var response = await client.PostGenerationAsync(new { prompt = "a blue square on a light background beside a giraffe", n = 1, task_type = "slide" }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            var body = await response.ReadNodeAsync();
            Assert.Single(body["data"]!.AsArray());
            Assert.Equal(["beside", "giraffe"], body["flexidit"]!["ignored_words"]!.AsArray().Select(w => w!.GetValue<string>()));
        }

        using (var response = await client.PostGenerationAsync(new { prompt = "a blue square", n = 1, task_type = "slide" }))
        {
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Empty((await response.ReadNodeAsync())["flexidit"]!["ignored_words"]!.AsArray());
        }

        using (var response = await client.PostGenerationAsync(new { prompt = "a lighthouse at dusk", n = 1, task_type = "slide" }))
        {
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            string text = await response.Content.ReadAsStringAsync();
            Assert.Contains("names nothing this model draws", text);
            Assert.Contains("a red circle", text);
        }

    }
}
