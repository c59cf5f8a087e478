using System.Net;
using FlexiDiT.Server.Tests.Support;
using SixLabors.ImageSharp;

namespace FlexiDiT.Server.Tests;

/// <summary><c>POST /v1/images/generations</c> over real HTTP, on the real generator with a tiny model.</summary>
[Collection(ServerCollection.Name)]
public sealed class GenerationApiTests(ServerFixture server)
{
    [Fact]
    public async Task A_generation_returns_openai_shaped_pngs_and_charges_the_keys_tenant()
    {
        using var client = server.Client(ServerFixture.TenantKey);
        var before = await client.TenantSpentAsync();

        using var response = await client.PostGenerationAsync(new { prompt = "a red circle", n = 2, task_type = "draft" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadNodeAsync();
        var data = body["data"]!.AsArray();
        Assert.Equal(2, data.Count);
        foreach (var item in data)
        {
            using var image = Image.Load(Convert.FromBase64String(item!["b64_json"]!.GetValue<string>()));
            Assert.Equal((32, 32), (image.Width, image.Height));
            Assert.Equal("red circle", item["revised_prompt"]!.GetValue<string>());
        }

        var summary = body["flexidit"]!;
        Assert.Equal("cheap", summary["mode"]!.GetValue<string>());
        Assert.Equal("draft", summary["task_type"]!.GetValue<string>());
        Assert.Equal(TinyFlexiDiTPack.Tenant, summary["tenant"]!.GetValue<string>());
        var cost = summary["cost"]!.GetValue<decimal>();
        Assert.True(cost > 0);
        Assert.True(summary["compute_saved_percent"]!.GetValue<int>() > 0);
        Assert.True(body["created"]!.GetValue<long>() > 1_700_000_000);
        Assert.Equal(before + cost, await client.TenantSpentAsync());
    }

    [Fact]
    public async Task The_url_format_returns_links_that_serve_the_png_at_the_size_asked()
    {
        using var client = server.Client(ServerFixture.TenantKey);

        using var response = await client.PostGenerationAsync(new { prompt = "a blue square", size = "64x64", response_format = "url", task_type = "slide" });

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.ReadNodeAsync();
        Assert.Equal("weak", body["flexidit"]!["mode"]!.GetValue<string>());
        var url = new Uri(body["data"]![0]!["url"]!.GetValue<string>());
        Assert.Equal(server.BaseAddress.Authority, url.Authority);
        using var anonymous = server.Client();
        using var file = await anonymous.GetAsync(url);
        Assert.Equal("image/png", file.Content.Headers.ContentType!.MediaType);
        using var image = Image.Load(await file.Content.ReadAsByteArrayAsync());
        Assert.Equal((64, 64), (image.Width, image.Height));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync("/v1/images/files/..%2Fledger.db")).StatusCode);

        // The link is signed: without its signature, or with its expiry pushed back, it serves nothing.
        Assert.Matches("^/v1/images/files/[0-9a-f]{32}\\.png\\?expires=[0-9]+&sig=[0-9a-f]{64}$", url.PathAndQuery);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(url.AbsolutePath)).StatusCode);
        var later = System.Text.RegularExpressions.Regex.Replace(url.PathAndQuery, "expires=([0-9]+)", m => "expires=" + (long.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) + 3600));
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(later)).StatusCode);
    }

    [Fact]
    public async Task Requests_without_a_key_or_with_a_wrong_key_get_401_and_generate_nothing()
    {
        using var anonymous = server.Client();
        using var wrong = server.Client("not-a-configured-key-000000");
        using var owner = server.Client(ServerFixture.TenantKey);
        var before = await owner.TenantSpentAsync();

        using var missing = await anonymous.PostGenerationAsync(new { prompt = "a red circle" });
        using var bad = await wrong.PostGenerationAsync(new { prompt = "a red circle" });
        using var budget = await wrong.GetAsync("/v1/budget");

        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Equal("Bearer", missing.Headers.WwwAuthenticate.Single().Scheme);
        Assert.Equal("invalid_api_key", (await missing.ReadNodeAsync())["error"]!["code"]!.GetValue<string>());
        Assert.Contains("Missing API key", (await missing.ReadNodeAsync())["error"]!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, bad.StatusCode);
        Assert.Equal("Invalid API key.", (await bad.ReadNodeAsync())["error"]!["message"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Unauthorized, budget.StatusCode);
        Assert.Equal(before, await owner.TenantSpentAsync());
    }

    [Fact]
    public async Task A_key_cannot_spend_or_read_another_tenants_budget()
    {
        using var drafts = server.Client(ServerFixture.DraftsKey);
        using var other = server.Client(ServerFixture.TenantKey);
        var otherBefore = await other.TenantSpentAsync();
        var draftsBefore = await drafts.TenantSpentAsync();

        // Fields naming another tenant or user are not part of the API and change nothing.
        using var ok = await drafts.PostGenerationAsync(new { prompt = "a green triangle", task_type = "draft", tenant = TinyFlexiDiTPack.Tenant, user = "someone" });
        using var forbidden = await drafts.PostGenerationAsync(new { prompt = "a green triangle", task_type = "slide" });
        var budget = await (await drafts.GetAsync("/v1/budget?tenant=" + TinyFlexiDiTPack.Tenant)).ReadNodeAsync();

        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        Assert.Equal(TinyFlexiDiTPack.DraftsOnlyTenant, (await ok.ReadNodeAsync())["flexidit"]!["tenant"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.Forbidden, forbidden.StatusCode);
        Assert.Equal("task_not_allowed", (await forbidden.ReadNodeAsync())["error"]!["code"]!.GetValue<string>());
        Assert.Equal(TinyFlexiDiTPack.DraftsOnlyTenant, budget["tenant"]!.GetValue<string>());
        Assert.Equal(["draft"], budget["allowed_task_types"]!.AsArray().Select(t => t!.GetValue<string>()));
        Assert.True(await drafts.TenantSpentAsync() > draftsBefore);
        Assert.Equal(otherBefore, await other.TenantSpentAsync());
    }

    [Fact]
    public async Task An_exhausted_budget_is_402_insufficient_quota_and_charges_nothing()
    {
        using var broke = server.Client(ServerFixture.BrokeKey);

        using var response = await broke.PostGenerationAsync(new { prompt = "a red circle", task_type = "draft" });

        Assert.Equal(HttpStatusCode.PaymentRequired, response.StatusCode);
        var error = (await response.ReadNodeAsync())["error"]!;
        Assert.Equal("insufficient_quota", error["type"]!.GetValue<string>());
        Assert.Equal("budget_exhausted", error["code"]!.GetValue<string>());
        Assert.Contains("credits left cannot pay", error["message"]!.GetValue<string>());
        Assert.Equal(0m, await broke.TenantSpentAsync());
    }

    [Theory]
    [InlineData("{}", "prompt")]
    [InlineData("{\"prompt\":\"a red circle\",\"n\":0}", "n")]
    [InlineData("{\"prompt\":\"a red circle\",\"size\":\"big\"}", "size")]
    [InlineData("{\"prompt\":\"a red circle\",\"response_format\":\"png\"}", "response_format")]
    [InlineData("{\"prompt\":\"a red circle\",\"deadline\":-1}", "deadline")]
    [InlineData("{\"prompt\":\"a red circle\",\"deadline\":86400}", "deadline")] // longer than the ledger's longest hold
    [InlineData("{\"prompt\":\"a red circle\",\"deadline\":1e300}", "deadline")] // past TimeSpan's range
    [InlineData("{\"prompt\":\"   \"}", "prompt")]
    [InlineData("{\"prompt\":\"a red circle\",\"n\":17}", "n")]
    [InlineData("{\"prompt\":\"a red circle\",\"size\":\"50x50\"}", "size")] // well formed, not a multiple of the model's 32x32
    public async Task Malformed_requests_are_400_naming_the_field(string json, string field)
    {
        using var client = server.Client(ServerFixture.TenantKey);

        using var response = await client.PostAsync("/v1/images/generations", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(field, (await response.ReadNodeAsync())["error"]!["param"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("{\"prompt\":\"a red circle\",\"n\":0}", "n", "Count must be at least 1.")]
    [InlineData("{\"prompt\":\"a red circle\",\"n\":3,\"task_type\":\"ad-creative\"}", "n", "Count 3 is above the maximum of 2 images per 'ad-creative' request.")]
    [InlineData("{\"prompt\":\"a red circle\",\"deadline\":-1}", "deadline", "The deadline must be above 0 and at most")]
    [InlineData("{\"prompt\":\"a red circle\",\"size\":\"50x50\"}", "size", "Image size 50x50 is not available")]
    [InlineData("{}", "prompt", "The request needs a prompt")]
    public async Task What_the_generator_refuses_is_400_with_its_message_and_free(string json, string field, string message)
    {
        using var client = server.Client(ServerFixture.TenantKey);
        var before = await client.TenantSpentAsync();

        using var response = await client.PostAsync("/v1/images/generations", new StringContent(json, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var error = (await response.ReadNodeAsync())["error"]!;
        Assert.Equal(field, error["param"]!.GetValue<string>());
        Assert.Equal("invalid_request_error", error["type"]!.GetValue<string>());
        Assert.StartsWith(message, error["message"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(before, await client.TenantSpentAsync());
    }

    [Fact]
    public async Task A_prompt_that_names_no_class_of_the_model_is_400_and_free()
    {
        using var client = server.Client(ServerFixture.TenantKey);
        var before = await client.TenantSpentAsync();

        using var response = await client.PostGenerationAsync(new { prompt = "a spaceship over Paris" });

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal(before, await client.TenantSpentAsync());
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413_and_free()
    {
        using var client = server.Client(ServerFixture.TenantKey);
        var before = await client.TenantSpentAsync();
        var huge = "{\"prompt\":\"a red circle\",\"user\":\"" + new string('x', 100 * 1024) + "\"}";

        using var response = await client.PostAsync("/v1/images/generations", new StringContent(huge, System.Text.Encoding.UTF8, "application/json"));

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(before, await client.TenantSpentAsync());
    }
}
