using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace FlexiDiT.Server;

/// <summary>
/// Keeps the images of <c>response_format: url</c> requests for a limited time and hands out signed, expiring URLs
/// to them, like OpenAI's: <c>/v1/images/files/&lt;name&gt;?expires=&lt;unix seconds&gt;&amp;sig=&lt;HMAC-SHA256&gt;</c>.
/// A URL is a capability for one image until it expires; names are 128 random bits, so they reveal nothing about
/// other requests, and files past their lifetime are deleted by <see cref="DeleteExpired"/>.
/// </summary>
public sealed partial class ImageStore
{
    /// <summary>The path images are served under.</summary>
    public const string RoutePrefix = "/v1/images/files/";

    private readonly byte[] signingKey;
    private readonly TimeSpan lifetime;
    private readonly TimeProvider time;

    /// <summary>Initializes a new instance of the <see cref="ImageStore"/> class.</summary>
    /// <param name="folder">The folder, created if missing.</param>
    /// <param name="lifetime">How long a URL (and its file) lives.</param>
    /// <param name="signingKey">The HMAC key; replicas that share one image folder must share it too.</param>
    /// <param name="time">The clock.</param>
    public ImageStore(string folder, TimeSpan lifetime, byte[] signingKey, TimeProvider time)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(folder);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(signingKey);
        ArgumentOutOfRangeException.ThrowIfLessThan(signingKey.Length, 32, nameof(signingKey));
        ArgumentNullException.ThrowIfNull(time);
        Folder = Directory.CreateDirectory(folder).FullName;
        this.lifetime = lifetime;
        this.signingKey = signingKey;
        this.time = time;
    }

    /// <summary>Gets the folder.</summary>
    public string Folder { get; }

    /// <summary>Saves a PNG.</summary>
    /// <param name="png">The bytes.</param>
    /// <param name="cancellationToken">Cancels the write.</param>
    /// <returns>The URL's path and query (under <see cref="RoutePrefix"/>), signed and expiring after the lifetime.</returns>
    public async Task<string> SaveAsync(ReadOnlyMemory<byte> png, CancellationToken cancellationToken)
    {
        var name = Guid.NewGuid().ToString("N") + ".png";
        await File.WriteAllBytesAsync(Path.Combine(Folder, name), png.ToArray(), cancellationToken).ConfigureAwait(false);
        var expires = (time.GetUtcNow() + lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        return $"{RoutePrefix}{name}?expires={expires}&sig={Convert.ToHexStringLower(Sign(name, expires))}";
    }

    /// <summary>Finds a saved image from the parts of its URL.</summary>
    /// <param name="name">The name.</param>
    /// <param name="expires">The <c>expires</c> query value.</param>
    /// <param name="signature">The <c>sig</c> query value.</param>
    /// <returns>The path, or <see langword="null"/> for a malformed, unsigned, tampered, expired or unknown URL.</returns>
    public string? Find(string name, string? expires, string? signature)
    {
        // Only names this store makes: no path separators, no traversal.
        if (!FileName().IsMatch(name)
            || !long.TryParse(expires, NumberStyles.None, CultureInfo.InvariantCulture, out var expiresAt)
            || signature is not { Length: 64 } || !signature.All(Uri.IsHexDigit)
            || !CryptographicOperations.FixedTimeEquals(Convert.FromHexString(signature), Sign(name, expires!))
            || time.GetUtcNow().ToUnixTimeSeconds() > expiresAt)
        {
            return null;
        }

        var path = Path.Combine(Folder, name);
        return File.Exists(path) ? path : null;
    }

    /// <summary>Deletes the images whose URLs have expired.</summary>
    /// <returns>The number deleted.</returns>
    public int DeleteExpired()
    {
        var cutoff = (time.GetUtcNow() - lifetime).UtcDateTime;
        var deleted = 0;
        foreach (var file in new DirectoryInfo(Folder).EnumerateFiles("*.png"))
        {
            if (FileName().IsMatch(file.Name) && file.LastWriteTimeUtc < cutoff)
            {
                try
                {
                    file.Delete();
                    deleted++;
                }
                catch (IOException)
                {
                    // Being served right now, or gone already: the next sweep tries again.
                }
            }
        }

        return deleted;
    }

    private byte[] Sign(string name, string expires) => HMACSHA256.HashData(signingKey, Encoding.UTF8.GetBytes(name + "\n" + expires));

    [GeneratedRegex("^[0-9a-f]{32}\\.png$")]
    private static partial Regex FileName();
}
