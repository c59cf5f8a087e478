using System.Text;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.SemanticKernel;

/// <summary>
/// The system instructions of the budget-aware agent, written fresh for every run so they carry the live budget and
/// the current price of each task type's mode.
/// </summary>
public static class AgentInstructions
{
    /// <summary>Writes the instructions for a run.</summary>
    /// <param name="tools">The tools (budget from their ledger, prices from their policy engine).</param>
    /// <param name="run">The run, whose caps are stated.</param>
    /// <param name="cancellationToken">Cancels reading the ledger.</param>
    /// <returns>The instructions.</returns>
    public static async Task<string> BuildAsync(FlexiDiTImageTools tools, ImageRun run, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(tools);
        ArgumentNullException.ThrowIfNull(run);
        var budget = await tools.GetBudgetStatusAsync(run, cancellationToken).ConfigureAwait(false);
        var payer = budget.UserId is null ? $"tenant '{budget.TenantId}'" : $"user '{budget.UserId}' of tenant '{budget.TenantId}'";
        var text = new StringBuilder();
        text.AppendLine("You create images with the local FlexiDiT model through the tools generate_image, estimate_image_cost and get_budget_status. Every image costs credits.");
        text.AppendLine();
        text.Append($"Budget, live from the ledger: {CostText.Credits(budget.Remaining)} credits left for {payer} this period (ends {CostText.Utc(budget.PeriodEnd)}).");
        text.Append(run.Limits.MaxSpend is { } cap ? $" This run may spend at most {CostText.Credits(cap)} credits" : " This run has no spending cap of its own");
        text.AppendLine($" and make at most {run.Limits.MaxCalls} tool calls.");
        text.AppendLine();
        text.AppendLine("Price per image of each task type, in the mode chosen for it (estimate_image_cost lists every mode):");
        foreach (var task in RefusalAdvice.AllowedTasks(tools.Policy, tools.Options.TenantId))
        {
            var policy = tools.Policy.Policies.Tasks[task];
            var degrade = policy.MayDegrade ? "may degrade when the budget is short" : "never degraded: refused when the budget is short";
            var decision = tools.Policy.Decide(new PolicyRequest { TaskType = task, TenantId = tools.Options.TenantId, UserId = tools.Options.UserId, Count = 1 });
            text.AppendLine(decision is PolicyApproval a
                ? $"- {task} ({policy.QualityFloor}; {degrade}): mode {a.PlanName}, {CostText.Credits(a.Cost)} credits, ~{CostText.Seconds(a.PredictedLatencyMs)}, {CostText.Percent(1 - a.Plan.FlopsFraction)} less compute than full"
                : $"- {task}: not available ({decision.Reason})");
        }

        var pricing = tools.Policy.Policies.Pricing;
        var modes = tools.Policy.Plans.Plans
            .OrderByDescending(p => p.FlopsPerImage)
            .Select(p => $"{p.Name} {CostText.Credits(pricing.PriceOf(p.FlopsPerImage, 1))}");
        text.AppendLine($"Every mode, credits per image (the first is full compute): {string.Join(", ", modes)}.");
        text.AppendLine();
        text.AppendLine("How to work:");
        text.AppendLine("1. Plan the whole job before generating: the task type each image needs and the total cost. Keep the total within the run's cap and the budget; use the cheapest task type that is good enough and keep ad-creative for images that truly need it.");
        text.AppendLine("2. Generate several images per call where they share a task type; make as few calls as you can.");
        text.AppendLine("3. If a call is refused, follow its advice (fewer images, a cheaper task type) or stop. Never repeat a refused request.");
        text.Append("4. Finish with a short answer that lists the files. An exact spend report from the ledger is added after your answer, so do not state totals of your own.");
        return text.ToString();
    }
}
