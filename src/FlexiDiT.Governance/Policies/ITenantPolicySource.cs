namespace FlexiDiT.Governance.Policies;

/// <summary>Looks tenants' policies up; implemented by <see cref="PolicySet"/> and by anything that reloads it.</summary>
public interface ITenantPolicySource
{
    /// <summary>Finds a tenant's policy.</summary>
    /// <param name="tenantId">The tenant id.</param>
    /// <returns>The policy, or <see langword="null"/> when the tenant is unknown.</returns>
    TenantPolicy? FindTenant(string tenantId);
}
