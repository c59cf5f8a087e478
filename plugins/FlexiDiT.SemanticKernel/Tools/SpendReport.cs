using System.Text;
using FlexiDiT.Governance.Ledger;

namespace FlexiDiT.SemanticKernel;

/// <summary>
/// What a run spent, computed from the ledger (its balance before and after the run), with the run's generations
/// and refusals for detail. The model's own account of its spending plays no part.
/// </summary>
public sealed record SpendReport
{
    /// <summary>Gets the tenant.</summary>
    public required string TenantId { get; init; }

    /// <summary>Gets the user, if the run spent for one.</summary>
    public string? UserId { get; init; }

    /// <summary>Gets the credits the ledger charged the payer during the run.</summary>
    public required decimal LedgerCharged { get; init; }

    /// <summary>Gets the credits the run's generations reported, which should equal <see cref="LedgerCharged"/>.</summary>
    public required decimal GenerationsCharged { get; init; }

    /// <summary>Gets the generations, in order.</summary>
    public required IReadOnlyList<ImageCallRecord> Generations { get; init; }

    /// <summary>Gets the refused calls, in order.</summary>
    public required IReadOnlyList<ToolRefusal> Refusals { get; init; }

    /// <summary>Gets the number of images generated.</summary>
    public int Images => Generations.Sum(g => g.Count);

    /// <summary>Gets the run's spending cap, if any.</summary>
    public decimal? RunCap { get; init; }

    /// <summary>Gets why the run was stopped, if it was.</summary>
    public string? StopReason { get; init; }

    /// <summary>Gets the credits left this period after the run.</summary>
    public required decimal RemainingAfter { get; init; }

    /// <summary>Gets when the period ends.</summary>
    public required DateTimeOffset PeriodEnd { get; init; }

    /// <summary>Builds the report from the ledger's status before and after a run.</summary>
    /// <param name="before">The payer's status when the run started.</param>
    /// <param name="after">The payer's status when the run ended.</param>
    /// <param name="run">The run.</param>
    /// <returns>The report.</returns>
    public static SpendReport Create(BudgetStatus before, BudgetStatus after, ImageRun run)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        ArgumentNullException.ThrowIfNull(run);

        // The user's account when there is one: the tenant's may move with other users' work at the same time.
        static decimal Spent(BudgetStatus s) => s.User?.Spent ?? s.Tenant.Spent;

        // A new period starts from zero, so everything spent in it belongs to the run.
        var charged = before.Period.Key == after.Period.Key ? Spent(after) - Spent(before) : Spent(after);
        var generations = run.Generations;
        return new SpendReport
        {
            TenantId = after.TenantId,
            UserId = after.UserId,
            LedgerCharged = charged,
            GenerationsCharged = generations.Sum(g => g.Cost),
            Generations = generations,
            Refusals = run.Refusals,
            RunCap = run.Limits.MaxSpend,
            StopReason = run.StopReason,
            RemainingAfter = after.Remaining,
            PeriodEnd = after.Period.End,
        };
    }

    /// <summary>Renders the report for people.</summary>
    /// <returns>The text.</returns>
    public string ToText()
    {
        var who = UserId is null ? $"tenant '{TenantId}'" : $"user '{UserId}' of tenant '{TenantId}'";
        var text = new StringBuilder($"Spend report for {who} (from the ledger):\n");
        var i = 0;
        foreach (var g in Generations)
        {
            text.Append($"  {++i}. {g.TaskType} × {g.Count}, mode {g.Mode}, {CostText.Credits(g.Cost)} credits, {CostText.Percent(g.ComputeSaved)} less compute than full")
                .Append(g.Degraded ? ", degraded to fit the budget" : string.Empty)
                .Append('\n');
        }

        if (Generations.Count == 0)
        {
            text.Append("  no images were generated\n");
        }

        text.Append($"  Charged by the ledger: {CostText.Credits(LedgerCharged)} credits for {CostText.Images(Images)}");
        text.Append(RunCap is { } cap ? $" (run cap {CostText.Credits(cap)})" : string.Empty).Append('\n');
        if (GenerationsCharged != LedgerCharged)
        {
            text.Append($"  Note: the generations reported {CostText.Credits(GenerationsCharged)} credits; the ledger's figure counts (other spending by the same account during the run shows here).\n");
        }

        if (Refusals.Count > 0)
        {
            text.Append($"  Refused calls: {Refusals.Count}\n");
        }

        if (StopReason is not null)
        {
            text.Append($"  Run stopped: {StopReason}\n");
        }

        text.Append($"  Left this period: {CostText.Credits(RemainingAfter)} credits (period ends {CostText.Utc(PeriodEnd)})");
        return text.ToString();
    }
}
