namespace FlexiDiT.Governance.Policies;

/// <summary>How often a tenant's budget starts afresh. Periods are calendar periods in UTC.</summary>
public enum BudgetPeriod
{
    /// <summary>From 00:00 UTC to the next 00:00 UTC.</summary>
    Daily,

    /// <summary>From the first of the month, 00:00 UTC, to the first of the next month.</summary>
    Monthly,
}
