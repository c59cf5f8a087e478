using System.Text.Json;
using System.Text.Json.Serialization;
using FlexiDiT.Extensions.AI;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Server.Auth;
using FlexiDiT.Server.Metrics;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.FileProviders;
using Microsoft.Extensions.Options;

namespace FlexiDiT.Server;

/// <summary>
/// Composes the server, so <c>Program</c> and the tests build the same app: <see cref="CreateBuilder"/>, then change
/// services or configuration if needed, then <see cref="Build"/>.
/// </summary>
public static partial class FlexiDiTServer
{
    /// <summary>Creates the builder: configuration (appsettings, environment <c>FlexiDiT__*</c>/<c>Server__*</c>, arguments) and services.</summary>
    /// <param name="args">Command-line arguments, e.g. <c>--urls http://127.0.0.1:5080</c>.</param>
    /// <returns>The builder.</returns>
    public static WebApplicationBuilder CreateBuilder(string[] args)
    {
        // The content root is the program's folder so appsettings.json and wwwroot are found from any working directory.
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
            WebRootPath = Path.Combine(AppContext.BaseDirectory, "wwwroot"),
        });
        builder.Services.Configure<ServerOptions>(builder.Configuration.GetSection(ServerOptions.Section));
        builder.Services.AddOptions<KestrelServerOptions>().Configure<IOptions<ServerOptions>>(
            (kestrel, server) => kestrel.Limits.MaxRequestBodySize = server.Value.MaxRequestBodyBytes);
        builder.Services.AddFlexiDiT(options => builder.Configuration.GetSection("FlexiDiT").Bind(options));
        builder.Services.AddSingleton<ServerMetrics>();
        builder.Services.AddSingleton(sp => new ApiKeyRegistry(sp.GetRequiredService<IOptions<ServerOptions>>().Value.ApiKeys, sp.GetRequiredService<PolicySet>()));
        builder.Services.AddSingleton(sp => CreateImageStore(sp.GetRequiredService<IOptions<ServerOptions>>().Value, sp.GetRequiredService<FlexiDiTRuntime>()));
        builder.Services.AddSingleton<ApiKeyFilter>();
        builder.Services.AddHostedService<ExpiredImageCleaner>();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DictionaryKeyPolicy = JsonNamingPolicy.SnakeCaseLower;
            json.SerializerOptions.DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull;
        });
        return builder;
    }

    /// <summary>Builds the app: checks the API keys against the policies, subscribes to budget alerts, maps the endpoints.</summary>
    /// <param name="builder">The builder from <see cref="CreateBuilder"/>.</param>
    /// <returns>The app, ready to run.</returns>
    /// <exception cref="InvalidOperationException">The API keys are misconfigured (the message lists every problem).</exception>
    public static WebApplication Build(WebApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var app = builder.Build();

        // Fail at start, not at the first request, when there is no key or a key names a tenant the policies do not have.
        app.Services.GetRequiredService<ApiKeyRegistry>();
        var logger = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("FlexiDiT.Server");

        var metrics = app.Services.GetRequiredService<ServerMetrics>();
        app.Services.GetRequiredService<BudgetLedger>().ThresholdCrossed += (_, alert) =>
        {
            metrics.Alert();
            LogAlert(logger, alert.TenantId, alert.UserId, alert.Threshold, alert.Spent, alert.Limit);
        };

        var files = new PhysicalFileProvider(app.Environment.WebRootPath);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        app.UseStaticFiles(new StaticFileOptions { FileProvider = files });
        ImageEndpoints.Map(app);
        BudgetEndpoints.Map(app);
        OperationsEndpoints.Map(app);
        return app;
    }

    private static ImageStore CreateImageStore(ServerOptions options, FlexiDiTRuntime runtime)
    {
        if (options.UrlSigningKey is { Length: < 32 })
        {
            throw new InvalidOperationException("Server:UrlSigningKey must be at least 32 characters (or unset for a random key per process)");
        }

        var key = options.UrlSigningKey is { } configured ? System.Text.Encoding.UTF8.GetBytes(configured) : System.Security.Cryptography.RandomNumberGenerator.GetBytes(32);
        return new ImageStore(options.ImageFolder ?? Path.Combine(runtime.OutputFolder, "server"), options.ImageUrlLifetime, key, TimeProvider.System);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Budget alert: {TenantId}/{UserId} crossed {Threshold:P0} ({Spent} of {Limit} credits)")]
    private static partial void LogAlert(ILogger logger, string tenantId, string? userId, double threshold, decimal spent, decimal limit);
}
