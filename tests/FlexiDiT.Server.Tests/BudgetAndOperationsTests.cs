using System.Net;
using FlexiDiT.Server.Tests.Support;
using Microsoft.Extensions.DependencyInjection;

namespace FlexiDiT.Server.Tests;

/// <summary>Budget, estimate, health and metrics endpoints, and start-up checks.</summary>
[Collection(ServerCollection.Name)]
public sealed class BudgetAndOperationsTests(ServerFixture server)
{
    [Fact]
    public async Task Budget_shows_the_keys_own_period_limit_spend_and_remaining()
    {
        using var client = server.Client(ServerFixture.TenantKey);

        var budget = await (await client.GetAsync("/v1/budget")).ReadNodeAsync();

        var now = DateTimeOffset.UtcNow;
        Assert.Equal(TinyFlexiDiTPack.Tenant, budget["tenant"]!.GetValue<string>());
        Assert.Equal(now.ToString("yyyy-MM", System.Globalization.CultureInfo.InvariantCulture), budget["period"]!.GetValue<string>());
        Assert.Equal(new DateTimeOffset(now.Year, now.Month, 1, 0, 0, 0, TimeSpan.Zero).AddMonths(1), budget["period_end"]!.GetValue<DateTimeOffset>());
        var account = budget["tenant_account"]!;
        Assert.Equal(1000m, account["limit"]!.GetValue<decimal>());
        Assert.Equal(1000m - account["spent"]!.GetValue<decimal>() - account["reserved"]!.GetValue<decimal>(), budget["remaining"]!.GetValue<decimal>());
        Assert.Equal(["ad-creative", "draft", "slide"], budget["allowed_task_types"]!.AsArray().Select(t => t!.GetValue<string>()));
    }

    [Fact]
    public async Task Estimate_prices_each_mode_and_names_the_one_that_would_run()
    {
        using var client = server.Client(ServerFixture.TenantKey);

        var estimate = await (await client.GetAsync("/v1/estimate?task_type=slide&n=2")).ReadNodeAsync();
        using var unknown = await client.GetAsync("/v1/estimate?task_type=poster");

        Assert.Equal(["cheap", "weak", "full"], estimate["modes"]!.AsArray().Select(m => m!["mode"]!.GetValue<string>()));
        Assert.Equal("weak", estimate["would_run"]!.GetValue<string>());
        Assert.Equal(0, estimate["modes"]![2]!["compute_saved_percent"]!.GetValue<int>());
        // Each mode's saving is FlexiDiT's at its own steps times fewer steps' (whole percents, so within rounding).
        Assert.All(estimate["modes"]!.AsArray(), m =>
        {
            double total = m!["compute_saved_percent"]!.GetValue<int>() / 100.0, flexi = m["flexidit_saved_percent"]!.GetValue<int>() / 100.0,
                steps = m["fewer_steps_saved_percent"]!.GetValue<int>() / 100.0;
            Assert.InRange((1 - flexi) * (1 - steps) - (1 - total), -0.015, 0.015);
        });
        Assert.Equal(0, estimate["modes"]![2]!["flexidit_saved_percent"]!.GetValue<int>());
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task Health_is_open_and_names_the_model()
    {
        using var anonymous = server.Client();

        var health = await (await anonymous.GetAsync("/health")).ReadNodeAsync();

        Assert.Equal("ok", health["status"]!.GetValue<string>());
        Assert.Equal(TinyFlexiDiTPack.Name, health["model"]!.GetValue<string>());
    }

    [Fact]
    public async Task Metrics_count_requests_images_credits_refusals_and_unauthorized_calls()
    {
        using var anonymous = server.Client();
        using var client = server.Client(ServerFixture.TenantKey);
        using var broke = server.Client(ServerFixture.BrokeKey);
        var before = await (await anonymous.GetAsync("/metrics")).ReadNodeAsync();

        using var generated = await client.PostGenerationAsync(new { prompt = "a yellow cross", n = 3, task_type = "draft" });
        var cost = (await generated.ReadNodeAsync())["flexidit"]!["cost"]!.GetValue<decimal>();
        (await broke.PostGenerationAsync(new { prompt = "a yellow cross" })).Dispose();
        (await anonymous.PostGenerationAsync(new { prompt = "a yellow cross" })).Dispose();
        var after = await (await anonymous.GetAsync("/metrics")).ReadNodeAsync();

        long Count(System.Text.Json.Nodes.JsonNode node, string name) => node[name]!.GetValue<long>();
        Assert.Equal(Count(before, "generation_requests_total") + 2, Count(after, "generation_requests_total"));
        Assert.Equal(Count(before, "images_generated_total") + 3, Count(after, "images_generated_total"));
        Assert.Equal(Count(before, "unauthorized_total") + 1, Count(after, "unauthorized_total"));
        Assert.Equal(before["credits_charged_total"]!.GetValue<decimal>() + cost, after["credits_charged_total"]!.GetValue<decimal>());
        var refusedBefore = before["refusals_total"]!["budget_exhausted"]?.GetValue<long>() ?? 0;
        Assert.Equal(refusedBefore + 1, after["refusals_total"]!["budget_exhausted"]!.GetValue<long>());
    }

    [Fact]
    public void A_key_naming_a_tenant_the_policies_lack_stops_the_server_at_start()
    {
        var builder = server.CreateBuilder([("some-valid-looking-key-0001", "no-such-tenant")]);

        var error = Assert.Throws<InvalidOperationException>(() => FlexiDiTServer.Build(builder));

        Assert.Contains("tenant 'no-such-tenant' is not in the policies", error.Message);
    }

    [Fact]
    public async Task Without_a_loadable_model_health_is_503_and_generations_are_503_model_unavailable()
    {
        var builder = server.CreateBuilder([(ServerFixture.TenantKey, TinyFlexiDiTPack.Tenant)]);
        builder.Services.Configure<FlexiDiT.Extensions.AI.FlexiDiTOptions>(o => o.Model = Path.Combine(server.Pack.Root, "no-such-pack"));
        await using var app = FlexiDiTServer.Build(builder);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };
        client.DefaultRequestHeaders.Authorization = new("Bearer", ServerFixture.TenantKey);

        using var health = await client.GetAsync("/health");
        using var generation = await client.PostGenerationAsync(new { prompt = "a red circle" });

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var healthBody = await health.Content.ReadAsStringAsync();
        Assert.Equal("unhealthy", System.Text.Json.Nodes.JsonNode.Parse(healthBody)!["status"]!.GetValue<string>());
        Assert.DoesNotContain(server.Pack.Root, healthBody);
        Assert.DoesNotContain("no-such-pack", healthBody);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, generation.StatusCode);
        Assert.Equal("model_unavailable", (await generation.ReadNodeAsync())["error"]!["code"]!.GetValue<string>());
        await app.StopAsync();
    }
}
