using FlexiDiT.Governance.Ledger;

namespace FlexiDiT.Extensions.AI;

/// <summary>Where FlexiDiT's files are found by default: shipped policies, latency models, generated images.</summary>
public static class FlexiDiTPaths
{
    /// <summary>The name of the policies folder.</summary>
    public const string PoliciesFolderName = "policies";

    /// <summary>
    /// Finds the policies folder: <c>policies</c> next to the program (where the build copies the shipped files), else
    /// the first <c>policies</c> folder holding policy files walking up from the current directory (a source checkout).
    /// </summary>
    /// <returns>The folder's full path.</returns>
    /// <exception cref="DirectoryNotFoundException">No candidate holds policy files; the message lists where it looked.</exception>
    public static string FindPoliciesFolder() =>
        TryFindPoliciesFolder() ?? throw new DirectoryNotFoundException(
            $"No policies folder with *.yaml files found; looked in: {string.Join(", ", PolicyFolderCandidates())}. " +
            "Set FlexiDiTOptions.PoliciesPath (see policies/README.md for the schema).");

    /// <summary>
    /// Looks for a policies folder where <see cref="FindPoliciesFolder"/> does, without failing: an app without one runs
    /// with the built-in defaults (<see cref="FlexiDiTPolicies.LoadBuiltIn"/>).
    /// </summary>
    /// <returns>The folder's full path, or <see langword="null"/> when no candidate holds policy files.</returns>
    public static string? TryFindPoliciesFolder() =>
        PolicyFolderCandidates().FirstOrDefault(HasPolicyFiles) is { } folder ? Path.GetFullPath(folder) : null;

    /// <summary>
    /// The latency model file of a pack next to a ledger: <c>&lt;ledger folder&gt;/latency-&lt;pack&gt;.json</c>. The
    /// latency depends on the model and the machine, so each pack has its own file in the per-user data folder.
    /// </summary>
    /// <param name="packName">The pack's name.</param>
    /// <param name="ledgerPath">The ledger file, or <see langword="null"/> for <see cref="LedgerPaths.DefaultDatabasePath()"/>.</param>
    /// <returns>The full path of the file (which may not exist yet).</returns>
    public static string LatencyModelPath(string packName, string? ledgerPath = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(packName);
        var folder = Path.GetDirectoryName(Path.GetFullPath(ledgerPath ?? LedgerPaths.DefaultDatabasePath()))!;
        return Path.Combine(folder, $"latency-{SafeFileName(packName)}.json");
    }

    /// <summary>The default folder of <see cref="Microsoft.Extensions.AI.ImageGenerationResponseFormat.Uri"/> responses: <c>images</c> next to the ledger.</summary>
    /// <param name="ledgerPath">The ledger file, or <see langword="null"/> for <see cref="LedgerPaths.DefaultDatabasePath()"/>.</param>
    /// <returns>The folder's full path (which may not exist yet).</returns>
    public static string ImagesFolder(string? ledgerPath = null) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ledgerPath ?? LedgerPaths.DefaultDatabasePath()))!, "images");

    internal static string SafeFileName(string name)
    {
        var invalid = Path.GetInvalidFileNameChars();
        var chars = name.Select(c => invalid.Contains(c) || char.IsWhiteSpace(c) ? '-' : c).ToArray();
        return new string(chars);
    }

    private static IEnumerable<string> PolicyFolderCandidates()
    {
        yield return Path.Combine(AppContext.BaseDirectory, PoliciesFolderName);
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
        {
            yield return Path.Combine(dir.FullName, PoliciesFolderName);
        }
    }

    private static bool HasPolicyFiles(string folder) =>
        Directory.Exists(folder) &&
        Directory.EnumerateFiles(folder).Any(f => Governance.Policies.PolicySet.FileExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase));
}
