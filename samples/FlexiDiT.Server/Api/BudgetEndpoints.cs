using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Server.Auth;
using Microsoft.AspNetCore.Mvc;

namespace FlexiDiT.Server;

/// <summary>
/// <c>GET /v1/budget</c> and <c>GET /v1/estimate</c>: the caller's own budget and prices. Neither takes a tenant: the
/// key decides whose figures are shown, so no tenant can read another's.
/// </summary>
internal static class BudgetEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/budget", GetBudgetAsync).AddEndpointFilter<ApiKeyFilter>();
        app.MapGet("/v1/estimate", GetEstimateAsync).AddEndpointFilter<ApiKeyFilter>();
    }

    private static async Task<IResult> GetBudgetAsync(HttpContext http, BudgetLedger ledger, PolicySet policies, CancellationToken cancellationToken)
    {
        var identity = ApiKeyFilter.IdentityOf(http);
        var status = await ledger.GetStatusAsync(identity.Tenant, identity.User, cancellationToken);
        var tenant = policies.FindTenant(identity.Tenant)!;
        static AccountResult Account(AccountBalance b) => new(b.Limit, b.Spent, b.Reserved, b.Remaining);
        return Results.Ok(new BudgetResult
        {
            Tenant = status.TenantId,
            User = status.UserId,
            Period = status.Period.Key,
            PeriodStart = status.Period.Start,
            PeriodEnd = status.Period.End,
            Remaining = status.Remaining,
            TenantAccount = Account(status.Tenant),
            UserAccount = status.User is { } user ? Account(user) : null,
            AllowedTaskTypes = [.. policies.Tasks.Keys.Where(tenant.Allows).Order(StringComparer.Ordinal)],
        });
    }

    private static async Task<IResult> GetEstimateAsync(
        HttpContext http, [FromQuery(Name = "task_type")] string? taskType, int? n, ComputePolicyEngine policy, BudgetLedger ledger, CancellationToken cancellationToken)
    {
        var identity = ApiKeyFilter.IdentityOf(http);
        var count = n ?? 1;
        if (string.IsNullOrWhiteSpace(taskType) || policy.Policies.FindTask(taskType) is null)
        {
            return ApiErrors.BadRequest($"'task_type' must be one of: {string.Join(", ", policy.Policies.Tasks.Keys)}.", "task_type");
        }

        if (count < 1)
        {
            return ApiErrors.BadRequest("'n' must be at least 1.", "n");
        }

        var rows = policy.Estimate(taskType, count);
        var remaining = await ledger.GetRemainingAsync(identity.Tenant, identity.User, cancellationToken);
        var decision = policy.Decide(new PolicyRequest { TaskType = taskType, TenantId = identity.Tenant, UserId = identity.User, Count = count, RemainingBudget = remaining });
        return Results.Ok(new EstimateResult
        {
            TaskType = taskType,
            N = count,
            Modes = [.. rows.Select(r => new ModeResult(r.PlanName, r.Cost, r.PredictedLatencyMs is { } ms ? Math.Round(ms, 1) : null, r.ComputeSavedPercent, r.MeetsQualityFloor,
                r.FlexiDiTSavedPercent, r.FewerStepsSavedPercent))],
            WouldRun = (decision as PolicyApproval)?.PlanName,
            Decision = decision.Reason,
        });
    }
}
