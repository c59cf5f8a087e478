using System.Globalization;

namespace FlexiDiT.Governance.Ledger;

/// <summary>Why a reservation was refused: which budget, and how much of it was gone.</summary>
/// <param name="Scope">The budget that refused.</param>
/// <param name="TenantId">The tenant.</param>
/// <param name="UserId">The user, or <see langword="null"/>.</param>
/// <param name="Limit">The budget in force.</param>
/// <param name="Spent">The credits committed this period.</param>
/// <param name="Reserved">The credits held by work in flight.</param>
/// <param name="Requested">The credits asked for.</param>
/// <param name="Period">The period.</param>
public sealed record BudgetDenial(
    BudgetScope Scope,
    string TenantId,
    string? UserId,
    decimal Limit,
    decimal Spent,
    decimal Reserved,
    decimal Requested,
    BudgetPeriodWindow Period)
{
    /// <summary>Gets the credits that could still be reserved.</summary>
    public decimal Available => Math.Max(0, Limit - Spent - Reserved);

    /// <summary>Gets a human-readable explanation.</summary>
    public string Message
    {
        get
        {
            var who = Scope == BudgetScope.User ? $"user '{UserId}' of tenant '{TenantId}'" : $"tenant '{TenantId}'";
            return string.Create(
                CultureInfo.InvariantCulture,
                $"budget of {who} for {Period.Key} cannot cover {Requested:0.######} credits: {Available:0.######} available " +
                $"(limit {Limit:0.######}, spent {Spent:0.######}, reserved {Reserved:0.######})");
        }
    }
}
