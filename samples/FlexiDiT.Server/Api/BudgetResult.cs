namespace FlexiDiT.Server;

/// <summary>The answer of <c>GET /v1/budget</c>: the caller's own budget, nobody else's.</summary>
public sealed record BudgetResult
{
    /// <summary>Gets the tenant.</summary>
    public required string Tenant { get; init; }

    /// <summary>Gets the user, if the key has one.</summary>
    public string? User { get; init; }

    /// <summary>Gets the period key (e.g. <c>2026-11</c>).</summary>
    public required string Period { get; init; }

    /// <summary>Gets when the period started.</summary>
    public required DateTimeOffset PeriodStart { get; init; }

    /// <summary>Gets when the period ends and the budget starts afresh.</summary>
    public required DateTimeOffset PeriodEnd { get; init; }

    /// <summary>Gets the credits that can still be spent (the smaller of tenant and user).</summary>
    public required decimal Remaining { get; init; }

    /// <summary>Gets the tenant's account.</summary>
    public required AccountResult TenantAccount { get; init; }

    /// <summary>Gets the user's account, if the key has a user.</summary>
    public AccountResult? UserAccount { get; init; }

    /// <summary>Gets the task types the key may request.</summary>
    public required IReadOnlyList<string> AllowedTaskTypes { get; init; }
}
