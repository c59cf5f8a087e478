namespace FlexiDiT.Governance.Policies;

/// <summary>A tenant's budget, its period and alerts, and what it may ask for.</summary>
public sealed record TenantPolicy
{
    /// <summary>The entry of <see cref="AllowedTaskTypes"/> that allows every task type.</summary>
    public const string AnyTaskType = "*";

    /// <summary>Gets the tenant's id.</summary>
    public required string Id { get; init; }

    /// <summary>Gets the credits the tenant may spend per period.</summary>
    public required decimal Budget { get; init; }

    /// <summary>Gets how often the budget starts afresh.</summary>
    public required BudgetPeriod Period { get; init; }

    /// <summary>
    /// Gets the fractions of the budget (0..1], ascending, at which a soft alert fires once per period.
    /// </summary>
    public IReadOnlyList<double> AlertThresholds { get; init; } = [0.5, 0.8, 0.95];

    /// <summary>Gets the task types the tenant may request; <see cref="AnyTaskType"/> allows all.</summary>
    public required IReadOnlySet<string> AllowedTaskTypes { get; init; }

    /// <summary>Gets per-user budgets within the tenant's, per period; users not listed share the tenant's.</summary>
    public IReadOnlyDictionary<string, decimal> UserBudgets { get; init; } = new Dictionary<string, decimal>();

    /// <summary>Decides whether the tenant may request a task type.</summary>
    /// <param name="taskType">The task type.</param>
    /// <returns><see langword="true"/> when allowed.</returns>
    public bool Allows(string taskType) =>
        AllowedTaskTypes.Contains(AnyTaskType) || AllowedTaskTypes.Contains(taskType);

    /// <summary>Tells whether a string may be a tenant or user id (letters, digits and <c>. _ @ + -</c>, starting with a letter or digit).</summary>
    /// <param name="id">The id.</param>
    /// <returns><see langword="true"/> when the ledger accepts it.</returns>
    public static bool IsValidAccountId(string? id) => id is not null && PolicyNames.AccountId().IsMatch(id);

    /// <summary>Gets a user's own budget per period, if the policy gives the user one.</summary>
    /// <param name="userId">The user, or <see langword="null"/>.</param>
    /// <returns>The user's budget, or <see langword="null"/> when the user has none of their own.</returns>
    public decimal? BudgetFor(string? userId) =>
        userId is not null && UserBudgets.TryGetValue(userId, out var budget) ? budget : null;

    internal void Validate()
    {
        PolicyNames.EnsureAccountId(Id, "tenant id");
        if (Budget < 0)
        {
            throw new ArgumentException($"tenant '{Id}': Budget must not be negative (got {Budget})");
        }

        ArgumentNullException.ThrowIfNull(AlertThresholds);
        ArgumentNullException.ThrowIfNull(AllowedTaskTypes);
        ArgumentNullException.ThrowIfNull(UserBudgets);
        for (var i = 0; i < AlertThresholds.Count; i++)
        {
            var t = AlertThresholds[i];
            if (!(t > 0 && t <= 1) || (i > 0 && t <= AlertThresholds[i - 1]))
            {
                throw new ArgumentException($"tenant '{Id}': AlertThresholds must be ascending fractions in (0, 1]");
            }
        }

        foreach (var (user, budget) in UserBudgets)
        {
            PolicyNames.EnsureAccountId(user, "user id");
            if (budget < 0 || budget > Budget)
            {
                throw new ArgumentException($"tenant '{Id}': user '{user}' budget must be between 0 and the tenant budget");
            }
        }
    }
}
