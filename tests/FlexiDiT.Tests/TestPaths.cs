namespace FlexiDiT.Tests;

/// <summary>
/// Where the shared reference files and the repository are, found by walking up from the test binaries
/// (the reference folder is <c>shared/reference</c> next to, or above, the repository).
/// </summary>
public static class TestPaths
{
    // The shared folder is canonical; the repository keeps a copy (tests/reference) so a clone on a
    // machine without it still tests against the official vectors.
    private static readonly Lazy<string> ReferenceFolder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared", "reference");
            if (Directory.Exists(candidate)) return candidate;
        }
        string copy = Path.Combine(RepositoryRoot, "tests", "reference");
        if (Directory.Exists(copy)) return copy;
        throw new DirectoryNotFoundException($"No shared/reference folder above {AppContext.BaseDirectory} and no tests/reference copy; the reference vectors are needed by these tests.");
    });

    private static readonly Lazy<string> RepositoryFolder = new(() =>
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "FlexiDiT.AI.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException($"No FlexiDiT.AI.sln above {AppContext.BaseDirectory}.");
    });

    /// <summary>The folder with the official code's reference vectors (<c>.../shared/reference</c>).</summary>
    public static string ReferenceDirectory => ReferenceFolder.Value;

    /// <summary>The repository root (the folder holding <c>FlexiDiT.AI.sln</c>).</summary>
    public static string RepositoryRoot => RepositoryFolder.Value;

    /// <summary>A file in <see cref="ReferenceDirectory"/>.</summary>
    public static string Reference(string fileName) => Path.Combine(ReferenceDirectory, fileName);
}
