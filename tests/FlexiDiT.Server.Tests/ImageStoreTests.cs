using System.Globalization;
using Microsoft.Extensions.Time.Testing;

namespace FlexiDiT.Server.Tests;

/// <summary>Image links are signed, expire, and their files are deleted after they expire.</summary>
public sealed class ImageStoreTests : IDisposable
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromMinutes(10);
    private readonly string folder = Directory.CreateTempSubdirectory("flexidit-images").FullName;
    private readonly FakeTimeProvider clock = new(new DateTimeOffset(2025, 3, 14, 9, 0, 0, TimeSpan.Zero));

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public async Task A_link_works_until_it_expires_and_only_with_its_own_signature()
    {
        var store = Store(new byte[32]);
        var (name, expires, sig) = Parts(await store.SaveAsync(new byte[] { 1, 2, 3 }, CancellationToken.None));

        Assert.Equal(Path.Combine(folder, name), store.Find(name, expires, sig));
        Assert.Null(store.Find(name, expires, null));
        Assert.Null(store.Find(name, (long.Parse(expires, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture), sig));
        Assert.Null(Store(Enumerable.Repeat((byte)7, 32).ToArray()).Find(name, expires, sig));

        clock.Advance(Lifetime);
        Assert.NotNull(store.Find(name, expires, sig));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(store.Find(name, expires, sig));
    }

    [Fact]
    public async Task Expired_images_are_deleted_and_others_kept()
    {
        var store = Store(new byte[32]);
        var (old, _, _) = Parts(await store.SaveAsync(new byte[] { 1 }, CancellationToken.None));
        File.SetLastWriteTimeUtc(Path.Combine(folder, old), clock.GetUtcNow().UtcDateTime - Lifetime - TimeSpan.FromSeconds(1));
        var (fresh, _, _) = Parts(await store.SaveAsync(new byte[] { 2 }, CancellationToken.None));
        File.SetLastWriteTimeUtc(Path.Combine(folder, fresh), clock.GetUtcNow().UtcDateTime);

        Assert.Equal(1, store.DeleteExpired());

        Assert.False(File.Exists(Path.Combine(folder, old)));
        Assert.True(File.Exists(Path.Combine(folder, fresh)));
    }

    private ImageStore Store(byte[] key) => new(folder, Lifetime, key, clock);

    private static (string Name, string Expires, string Sig) Parts(string url)
    {
        var match = System.Text.RegularExpressions.Regex.Match(url, "^/v1/images/files/([0-9a-f]{32}\\.png)\\?expires=([0-9]+)&sig=([0-9a-f]{64})$");
        Assert.True(match.Success, url);
        return (match.Groups[1].Value, match.Groups[2].Value, match.Groups[3].Value);
    }
}
