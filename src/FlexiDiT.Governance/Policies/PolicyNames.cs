using System.Text.RegularExpressions;

namespace FlexiDiT.Governance.Policies;

/// <summary>The shapes names may take in policies, shared by the loader and the programmatic constructors.</summary>
internal static partial class PolicyNames
{
    // Task types appear in CLI flags and URLs: lower-case words joined by hyphens.
    [GeneratedRegex("^[a-z0-9]+(-[a-z0-9]+)*$")]
    public static partial Regex TaskType();

    // Tenant and user ids come from other systems (e-mail addresses, slugs), so they allow a little more.
    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._@+-]*$")]
    public static partial Regex AccountId();

    public static void EnsureTaskType(string? name)
    {
        if (name is null || !TaskType().IsMatch(name))
        {
            throw new ArgumentException($"'{name}' is not a valid task type name (lower-case letters, digits and hyphens)");
        }
    }

    public static void EnsureAccountId(string? id, string what)
    {
        if (id is null || !AccountId().IsMatch(id))
        {
            throw new ArgumentException($"'{id}' is not a valid {what} (letters, digits and . _ @ + -)");
        }
    }
}
