namespace FlexiDiT.Governance.Ledger;

/// <summary>Which budget an amount counts against.</summary>
public enum BudgetScope
{
    /// <summary>The tenant's budget, shared by all its users.</summary>
    Tenant,

    /// <summary>A user's own budget within the tenant's.</summary>
    User,
}
