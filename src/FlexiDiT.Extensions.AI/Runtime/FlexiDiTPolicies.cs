using System.Reflection;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Extensions.AI;

/// <summary>
/// The policies FlexiDiT runs with when none are given: a <c>policies</c> folder near the program, else the built-in
/// defaults (the repository's <c>policies/</c> files, embedded in this assembly), so an app that only calls
/// <c>AddFlexiDiT()</c> works wherever it runs.
/// </summary>
public static class FlexiDiTPolicies
{
    /// <summary>The source name of the built-in policy documents, as errors show it: <c>built-in:tasks.yaml</c> and the like.</summary>
    public const string BuiltInSourcePrefix = "built-in:";

    private const string ResourcePrefix = "FlexiDiT.Extensions.AI.policies.";

    /// <summary>
    /// Loads the policies: <paramref name="policiesPath"/> when given; else the folder
    /// <see cref="FlexiDiTPaths.TryFindPoliciesFolder"/> finds; else <see cref="LoadBuiltIn"/>.
    /// </summary>
    /// <param name="policiesPath">A folder of policy files, or <see langword="null"/> to look for one.</param>
    /// <returns>The policy set.</returns>
    /// <exception cref="PolicyLoadException">A policy file is missing, unreadable or invalid; every problem found is listed.</exception>
    public static PolicySet Load(string? policiesPath = null) =>
        (policiesPath ?? FlexiDiTPaths.TryFindPoliciesFolder()) is { } folder ? PolicySet.LoadDirectory(folder) : LoadBuiltIn();

    /// <summary>Loads the built-in default policies (the task types, tenants and pricing this product ships).</summary>
    /// <returns>The policy set.</returns>
    public static PolicySet LoadBuiltIn() => PolicySet.Parse(BuiltInDocuments());

    /// <summary>The built-in policy documents, each with its source name (<see cref="BuiltInSourcePrefix"/> and its file name).</summary>
    /// <returns>The documents, ordered by file name like <see cref="PolicySet.LoadDirectory"/> orders files.</returns>
    public static IReadOnlyList<(string Source, string Text)> BuiltInDocuments()
    {
        var assembly = typeof(FlexiDiTPolicies).Assembly;
        var documents = assembly.GetManifestResourceNames()
            .Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Order(StringComparer.Ordinal)
            .Select(n => (BuiltInSourcePrefix + n[ResourcePrefix.Length..], Read(assembly, n)))
            .ToList();

        // The build embeds them; none means a broken build, not a user error.
        return documents.Count > 0
            ? documents
            : throw new InvalidOperationException($"{assembly.GetName().Name} was built without its built-in policies (resources {ResourcePrefix}*).");
    }

    private static string Read(Assembly assembly, string resourceName)
    {
        using var stream = assembly.GetManifestResourceStream(resourceName)!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
