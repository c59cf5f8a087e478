namespace FlexiDiT.Server.Auth;

/// <summary>Who a request spends for, established from its API key and nothing else.</summary>
/// <param name="KeyName">The key's label, for logs.</param>
/// <param name="Tenant">The tenant.</param>
/// <param name="User">The user within the tenant, if any.</param>
public sealed record TenantIdentity(string KeyName, string Tenant, string? User);
