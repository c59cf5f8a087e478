using System.Text.RegularExpressions;

namespace FlexiDiT.Server;

/// <summary>
/// Keeps the images of <c>response_format: url</c> requests under unguessable names (128 random bits), so a URL is
/// a capability for one image, like OpenAI's signed URLs, and reveals nothing about other requests.
/// </summary>
public sealed partial class ImageStore
{
    /// <summary>Initializes a new instance of the <see cref="ImageStore"/> class.</summary>
    /// <param name="folder">The folder, created if missing.</param>
    public ImageStore(string folder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        Folder = Directory.CreateDirectory(folder).FullName;
    }

    /// <summary>Gets the folder.</summary>
    public string Folder { get; }

    /// <summary>Saves a PNG.</summary>
    /// <param name="png">The bytes.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The file name to put in the URL.</returns>
    public async Task<string> SaveAsync(ReadOnlyMemory<byte> png, CancellationToken cancellationToken)
    {
        var name = Guid.NewGuid().ToString("N") + ".png";
        await File.WriteAllBytesAsync(Path.Combine(Folder, name), png.ToArray(), cancellationToken).ConfigureAwait(false);
        return name;
    }

    /// <summary>Finds a saved image by the name in its URL.</summary>
    /// <param name="name">The name.</param>
    /// <returns>The path, or <see langword="null"/> for a malformed or unknown name.</returns>
    public string? Find(string name)
    {
        // Only names this store makes: no path separators, no traversal.
        if (!FileName().IsMatch(name))
        {
            return null;
        }

        var path = Path.Combine(Folder, name);
        return File.Exists(path) ? path : null;
    }

    [GeneratedRegex("^[0-9a-f]{32}\\.png$")]
    private static partial Regex FileName();
}
