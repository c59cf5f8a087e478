using System.Net;
using System.Security.Cryptography;
using System.Text;
using FlexiDiT.Server.Auth;
using FlexiDiT.Server.Tests.Support;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace FlexiDiT.Server.Tests;

/// <summary>The shipped server has no working key; keys come from configuration (environment included), kept as hashes.</summary>
[Collection(ServerCollection.Name)]
public sealed class ApiKeyConfigurationTests(ServerFixture server)
{
    [Fact]
    public void The_shipped_configuration_has_no_key_and_the_server_refuses_to_start_saying_how_to_add_one()
    {
        var shipped = new ConfigurationBuilder().AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build();
        Assert.Empty(shipped.GetSection("Server:ApiKeys").GetChildren());

        var builder = server.CreateBuilder([]);

        var error = Assert.Throws<InvalidOperationException>(() => FlexiDiTServer.Build(builder));
        Assert.Contains("no API keys are configured", error.Message);
        Assert.Contains("Server__ApiKeys__0__Key", error.Message);
    }

    [Fact]
    public async Task A_key_given_only_as_its_sha256_in_environment_style_settings_is_accepted()
    {
        const string secret = "hashed-only-key-0123456789";
        var builder = server.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            // What Server__ApiKeys__0__... environment variables become.
            ["Server:ApiKeys:0:Name"] = "hashed",
            ["Server:ApiKeys:0:Tenant"] = TinyFlexiDiTPack.Tenant,
            ["Server:ApiKeys:0:User"] = "carol",
            ["Server:ApiKeys:0:KeySha256"] = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(secret))),
        });
        await using var app = FlexiDiTServer.Build(builder);
        await app.StartAsync();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()) };

        client.DefaultRequestHeaders.Authorization = new("Bearer", secret);
        using var accepted = await client.GetAsync("/v1/budget");
        client.DefaultRequestHeaders.Authorization = new("Bearer", "hashed-only-key-0123456780");
        using var refused = await client.GetAsync("/v1/budget");

        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(new TenantIdentity("hashed", TinyFlexiDiTPack.Tenant, "carol"), app.Services.GetRequiredService<ApiKeyRegistry>().Find(secret));
        await app.StopAsync();
    }

    [Theory]
    [InlineData("Key", "short", null, "at least 16 characters")]
    [InlineData("KeySha256", "not-hex", null, "64 hex digits")]
    [InlineData("Key", "a-long-enough-key-0123456789", "not a user!", "is not a valid user id")]
    public void A_malformed_key_entry_stops_the_server_at_start(string field, string value, string? user, string expected)
    {
        var builder = server.CreateBuilder([]);
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Server:ApiKeys:0:Name"] = "bad",
            ["Server:ApiKeys:0:Tenant"] = TinyFlexiDiTPack.Tenant,
            ["Server:ApiKeys:0:User"] = user,
            [$"Server:ApiKeys:0:{field}"] = value,
        });

        var error = Assert.Throws<InvalidOperationException>(() => FlexiDiTServer.Build(builder));

        Assert.Contains(expected, error.Message);
    }
}
