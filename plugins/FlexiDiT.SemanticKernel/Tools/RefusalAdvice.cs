using FlexiDiT.Governance.Policies;

namespace FlexiDiT.SemanticKernel;

/// <summary>
/// Turns a policy refusal into something a model can act on: what would fit instead (fewer images, a cheaper task
/// type) or that it should stop.
/// </summary>
internal static class RefusalAdvice
{
    public static string ForMoney(ComputePolicyEngine policy, PolicyRequest request, PolicyRefusal refusal, decimal available, bool runCapBinds)
    {
        var limit = runCapBinds ? "this run's spending cap" : "the budget";
        var lines = new List<string>
        {
            $"Refused: {limit} leaves {CostText.Credits(available)} credits, not enough for {CostText.Images(request.Count)} of task '{request.TaskType}' ({refusal.Reason}). Nothing was charged.",
        };
        var options = new List<string>();

        // Fewer images of the same task type, largest first: closest to what was asked.
        for (var n = request.Count - 1; n >= 1; n--)
        {
            if (policy.Decide(request with { Count = n }) is PolicyApproval fewer)
            {
                options.Add($"ask for {CostText.Images(n)} of '{request.TaskType}' instead: mode {fewer.PlanName}, {CostText.Credits(fewer.Cost)} credits");
                break;
            }
        }

        // Other task types the tenant may use that the money still covers, cheapest first.
        var tenant = policy.Policies.FindTenant(request.TenantId);
        var others = policy.Policies.Tasks.Keys
            .Where(t => t != request.TaskType && (tenant?.Allows(t) ?? false))
            .Select(t => policy.Decide(request with { TaskType = t, SlaMs = null }))
            .OfType<PolicyApproval>()
            .OrderBy(a => a.Cost)
            .Take(2)
            .Select(a => $"use the cheaper task type '{a.TaskType}' ({a.QualityFloor}): {CostText.Images(a.Count)} in mode {a.PlanName}, {CostText.Credits(a.Cost)} credits");
        options.AddRange(others);

        lines.Add(options.Count == 0
            ? "No smaller or cheaper request fits. Stop generating images and tell the user what the budget allowed."
            : "Options: " + string.Join("; or ", options) + ". Or stop and tell the user the budget is spent. Do not repeat the same request.");
        return string.Join(" ", lines);
    }

    public static string ForPolicy(ComputePolicyEngine policy, PolicyRequest request, PolicyRefusal refusal)
    {
        var hint = refusal.Code switch
        {
            RefusalReason.UnknownTaskType or RefusalReason.TaskNotAllowed =>
                $"Use one of these task types: {string.Join(", ", AllowedTasks(policy, request.TenantId))}.",
            RefusalReason.CountTooLarge when policy.Policies.FindTask(request.TaskType) is { } task =>
                $"Ask for at most {task.MaxCount} images per call and make several calls if the budget allows.",
            RefusalReason.SlaUnreachable => "Allow a longer deadline (deadlineSeconds) or pick a task type with a lower quality floor.",
            RefusalReason.QualityUnreachable => "Pick a task type with a lower quality floor.",
            _ => "Change the request or stop.",
        };
        return $"Refused: {refusal.Reason}. Nothing was charged. {hint}";
    }

    public static IEnumerable<string> AllowedTasks(ComputePolicyEngine policy, string tenantId)
    {
        var tenant = policy.Policies.FindTenant(tenantId);
        return policy.Policies.Tasks.Keys.Where(t => tenant?.Allows(t) ?? false).Order(StringComparer.Ordinal);
    }
}
