namespace FlexiDiT.Governance.Policies.Loading;

/// <summary>A parsed tenant whose allowed task types still have to be checked against every file's tasks.</summary>
internal sealed record TenantDraft(TenantPolicy Policy, IReadOnlyList<Located<string>> AllowedTasks);
