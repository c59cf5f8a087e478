namespace FlexiDiT.Governance.Ledger;

/// <summary>Where the ledger lives by default.</summary>
public static class LedgerPaths
{
    /// <summary>The file name of the ledger database.</summary>
    public const string FileName = "ledger.db";

    /// <summary>
    /// Returns <c>LocalApplicationData/FlexiDiT/ledger.db</c> (on Linux <c>~/.local/share/FlexiDiT/ledger.db</c>),
    /// creating the folder.
    /// </summary>
    /// <returns>The full path of the database file.</returns>
    public static string DefaultDatabasePath() =>
        DefaultDatabasePath(Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData, Environment.SpecialFolderOption.Create));

    /// <summary>Returns <c>baseFolder/FlexiDiT/ledger.db</c>, creating the folder.</summary>
    /// <param name="baseFolder">The per-user application data folder.</param>
    /// <returns>The full path of the database file.</returns>
    public static string DefaultDatabasePath(string baseFolder)
    {
        // An empty LocalApplicationData (no HOME) would silently put the ledger in the working directory.
        ArgumentException.ThrowIfNullOrWhiteSpace(baseFolder);
        var folder = Path.Combine(Path.GetFullPath(baseFolder), "FlexiDiT");
        Directory.CreateDirectory(folder);
        return Path.Combine(folder, FileName);
    }
}
