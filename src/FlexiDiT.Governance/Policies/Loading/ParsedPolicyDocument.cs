namespace FlexiDiT.Governance.Policies.Loading;

/// <summary>What one policy file defines, with locations, before files are merged.</summary>
internal sealed class ParsedPolicyDocument
{
    public List<Located<TaskPolicy>> Tasks { get; } = [];

    public List<Located<TenantDraft>> Tenants { get; } = [];

    public List<Located<PricingPolicy>> Pricing { get; } = [];
}
