namespace FlexiDiT.Governance.Policies.Loading;

/// <summary>What one policy file defines, with locations, before files are merged.</summary>
internal sealed class ParsedPolicyDocument
{
    /// <summary>Gets or sets a value indicating whether the file was readable YAML, so that all it declares is known.</summary>
    public bool Readable { get; set; } = true;

    /// <summary>Gets every task type name the file declares, including ones whose fields are invalid.</summary>
    public HashSet<string> DeclaredTasks { get; } = new(StringComparer.Ordinal);

    public List<Located<TaskPolicy>> Tasks { get; } = [];

    public List<Located<TenantDraft>> Tenants { get; } = [];

    public List<Located<PricingPolicy>> Pricing { get; } = [];
}
