using System.IO.Compression;
using System.Xml.Linq;

namespace FlexiDiT.Packaging.Tests;

/// <summary>A .nupkg file: its entries and its manifest (nuspec).</summary>
internal sealed class PackageFile
{
    private PackageFile(string path, IReadOnlyList<string> entries, XElement metadata)
    {
        Path = path;
        Entries = entries;
        Metadata = metadata;
    }

    /// <summary>Gets the file.</summary>
    public string Path { get; }

    /// <summary>Gets the paths inside the package.</summary>
    public IReadOnlyList<string> Entries { get; }

    /// <summary>Gets the nuspec's metadata element.</summary>
    public XElement Metadata { get; }

    /// <summary>Gets the package id.</summary>
    public string Id => Value("id")!;

    /// <summary>Gets a metadata value (element text), or <see langword="null"/>.</summary>
    public string? Value(string name) => Metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name)?.Value;

    /// <summary>Gets a metadata element, or <see langword="null"/>.</summary>
    public XElement? Element(string name) => Metadata.Elements().FirstOrDefault(e => e.Name.LocalName == name);

    /// <summary>Reads a package.</summary>
    public static PackageFile Read(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        var nuspec = zip.Entries.Single(e => !e.FullName.Contains('/') && e.FullName.EndsWith(".nuspec", StringComparison.Ordinal));
        using var stream = nuspec.Open();
        var metadata = XDocument.Load(stream).Root!.Elements().Single(e => e.Name.LocalName == "metadata");
        return new PackageFile(path, zip.Entries.Select(e => e.FullName).ToList(), metadata);
    }

    /// <summary>The id of a package file named <c>&lt;id&gt;.&lt;version&gt;.nupkg</c>.</summary>
    public static string IdOf(string path, string version) =>
        System.IO.Path.GetFileName(path)[..^($".{version}.nupkg".Length)];
}
