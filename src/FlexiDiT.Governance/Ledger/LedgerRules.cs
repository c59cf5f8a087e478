namespace FlexiDiT.Governance.Ledger;

/// <summary>The budget rule every <see cref="IBudgetStore"/> applies inside its transaction.</summary>
internal static class LedgerRules
{
    /// <summary>Judges whether an amount fits both the tenant's and (when it has one) the user's budget.</summary>
    /// <param name="tenant">The tenant's usage, read under the transaction's lock.</param>
    /// <param name="tenantLimit">The tenant's effective limit.</param>
    /// <param name="user">The user's usage, or <see langword="null"/> when the amount is not charged to a user.</param>
    /// <param name="userLimit">The user's effective limit, or <see langword="null"/> when the user has none.</param>
    /// <param name="amountMicros">The amount to add.</param>
    /// <returns>The budget that refuses, or <see langword="null"/> when it fits.</returns>
    public static BudgetScope? DeniedBy(AccountUsage tenant, long tenantLimit, AccountUsage? user, long? userLimit, long amountMicros) =>
        !Fits(tenant, amountMicros, tenantLimit) ? BudgetScope.Tenant
        : user is not null && userLimit is { } limit && !Fits(user, amountMicros, limit) ? BudgetScope.User
        : null;

    private static bool Fits(AccountUsage usage, long amount, long limit) =>
        usage.CommittedMicros + usage.ReservedMicros + amount <= limit;
}
