using System.Net.Http.Headers;
using FlexiDiT.Extensions.AI;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace FlexiDiT.Server.Tests.Support;

/// <summary>
/// The real server, in-process on 127.0.0.1 with a free port, over the real FlexiDiT generator with a tiny
/// random-weight pack, a ledger of its own and three API keys.
/// </summary>
public sealed class ServerFixture : IAsyncLifetime
{
    /// <summary>The key of <see cref="TinyFlexiDiTPack.Tenant"/>.</summary>
    public const string TenantKey = "test-tenant-key-0123456789";

    /// <summary>The key of <see cref="TinyFlexiDiTPack.DraftsOnlyTenant"/>.</summary>
    public const string DraftsKey = "drafts-only-key-0123456789";

    /// <summary>The key of <see cref="TinyFlexiDiTPack.BrokeTenant"/>.</summary>
    public const string BrokeKey = "broke-tenant-key-0123456789";

    private WebApplication? app;

    public TinyFlexiDiTPack Pack { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public IServiceProvider Services => app!.Services;

    /// <summary>Builds the server exactly as Program does, with test configuration instead of appsettings.json.</summary>
    public WebApplicationBuilder CreateBuilder(IEnumerable<(string Key, string Tenant)> keys)
    {
        var builder = FlexiDiTServer.CreateBuilder([]);

        // The sample's appsettings.json (copied next to the tests) names tenants the tiny pack's policies lack.
        builder.Configuration.Sources.Clear();
        var settings = new Dictionary<string, string?> { ["Server:ImageFolder"] = Path.Combine(Pack.Root, "server-images") };
        var i = 0;
        foreach (var (key, tenant) in keys)
        {
            settings[$"Server:ApiKeys:{i}:Name"] = tenant + " key";
            settings[$"Server:ApiKeys:{i}:Key"] = key;
            settings[$"Server:ApiKeys:{i}:Tenant"] = tenant;
            i++;
        }

        builder.Configuration.AddInMemoryCollection(settings);
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Services.Configure<FlexiDiTOptions>(Pack.Configure);
        return builder;
    }

    public HttpClient Client(string? key = null)
    {
        var client = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }

        return client;
    }

    public async Task InitializeAsync()
    {
        app = FlexiDiTServer.Build(CreateBuilder(
        [
            (TenantKey, TinyFlexiDiTPack.Tenant),
            (DraftsKey, TinyFlexiDiTPack.DraftsOnlyTenant),
            (BrokeKey, TinyFlexiDiTPack.BrokeTenant),
        ]));
        await app.StartAsync();
        BaseAddress = new Uri(app.Urls.Single());
    }

    public async Task DisposeAsync()
    {
        if (app is not null)
        {
            await app.StopAsync();
            await app.DisposeAsync();
        }

        Pack.Dispose();
    }
}
