using FlexiDiT.Extensions.AI;
using FlexiDiT.Server.Metrics;

namespace FlexiDiT.Server;

/// <summary><c>GET /health</c> and <c>GET /metrics</c>, open without a key: they show no tenant's figures.</summary>
internal static partial class OperationsEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/health", (FlexiDiTRuntime runtime, ILoggerFactory loggers) =>
        {
            try
            {
                // Reading the policies, the ledger and the pack's manifest proves the files are there; the weights load on first use.
                _ = runtime.Policies;
                _ = runtime.Ledger;
                return Results.Ok(new { Status = "ok", Model = runtime.DefaultModel.Pack.Name });
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Governance.Policies.PolicyLoadException
                or Microsoft.Data.Sqlite.SqliteException or Npgsql.NpgsqlException)
            {
                // The cause goes to the log only: the endpoint is open, and messages name files, hosts and users.
                LogUnhealthy(loggers.CreateLogger("FlexiDiT.Server.Health"), e);
                return Results.Json(new { Status = "unhealthy" }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        app.MapGet("/metrics", (ServerMetrics metrics) => Results.Ok(metrics.Snapshot()));
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Health check failed")]
    private static partial void LogUnhealthy(ILogger logger, Exception exception);
}
