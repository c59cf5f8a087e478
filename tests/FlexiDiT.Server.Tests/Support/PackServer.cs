using System.Net.Http.Headers;
using FlexiDiT.Extensions.AI;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace FlexiDiT.Server.Tests.Support;

/// <summary>
/// A second server, started like <see cref="ServerFixture"/>'s but over another pack (a scenes or text-to-image one),
/// with a client holding <see cref="ServerFixture.TenantKey"/>; disposing stops it.
/// </summary>
public sealed class PackServer : IAsyncDisposable
{
    private readonly WebApplication app;

    private PackServer(WebApplication app, HttpClient client)
    {
        this.app = app;
        Client = client;
    }

    /// <summary>A client of <see cref="TinyFlexiDiTPack.Tenant"/>.</summary>
    public HttpClient Client { get; }

    /// <summary>Starts the server over <paramref name="pack"/> (the fixture's ledger folder and keys, the pack's weights and plans).</summary>
    public static async Task<PackServer> StartAsync(ServerFixture fixture, TinyFlexiDiTPack pack)
    {
        var builder = fixture.CreateBuilder([(ServerFixture.TenantKey, TinyFlexiDiTPack.Tenant)]);
        builder.Services.Configure<FlexiDiTOptions>(pack.Configure);
        var app = FlexiDiTServer.Build(builder);
        await app.StartAsync();
        var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(60) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ServerFixture.TenantKey);
        return new PackServer(app, client);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await app.StopAsync();
        await app.DisposeAsync();
    }
}
