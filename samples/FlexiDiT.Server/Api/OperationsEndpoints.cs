using FlexiDiT.Extensions.AI;
using FlexiDiT.Server.Metrics;

namespace FlexiDiT.Server;

/// <summary><c>GET /health</c> and <c>GET /metrics</c>, open without a key: they show no tenant's figures.</summary>
internal static class OperationsEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/health", (FlexiDiTRuntime runtime) =>
        {
            try
            {
                // Reading the policies, the ledger and the pack's manifest proves the files are there; the weights load on first use.
                _ = runtime.Policies;
                _ = runtime.Ledger;
                return Results.Ok(new { Status = "ok", Model = runtime.DefaultModel.Pack.Name });
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or Governance.Policies.PolicyLoadException or Microsoft.Data.Sqlite.SqliteException)
            {
                return Results.Json(new { Status = "unhealthy", Error = e.Message }, statusCode: StatusCodes.Status503ServiceUnavailable);
            }
        });
        app.MapGet("/metrics", (ServerMetrics metrics) => Results.Ok(metrics.Snapshot()));
    }
}
