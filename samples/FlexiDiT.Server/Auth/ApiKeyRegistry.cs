using System.Security.Cryptography;
using System.Text;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Server.Auth;

/// <summary>Maps API keys to tenants. Keys are kept as SHA-256 hashes and compared in constant time.</summary>
public sealed class ApiKeyRegistry
{
    private readonly List<(byte[] Hash, TenantIdentity Identity)> keys = [];

    /// <summary>Initializes a new instance of the <see cref="ApiKeyRegistry"/> class.</summary>
    /// <param name="entries">The configured keys.</param>
    /// <param name="policies">The policies; every key's tenant (and user) must be valid in them.</param>
    /// <exception cref="InvalidOperationException">
    /// There is no key, or a key is short, malformed or duplicated, or names a tenant (or a user) the policies do not allow.
    /// </exception>
    public ApiKeyRegistry(IEnumerable<ApiKeyEntry> entries, PolicySet policies)
    {
        ArgumentNullException.ThrowIfNull(entries);
        ArgumentNullException.ThrowIfNull(policies);
        var problems = new List<string>();
        var index = 0;
        foreach (var entry in entries)
        {
            var where = $"Server:ApiKeys:{index++} ('{entry.Name}')";
            var hash = HashOf(entry, where, problems);
            if (hash is null)
            {
                continue;
            }

            if (policies.FindTenant(entry.Tenant) is null)
            {
                problems.Add($"{where}: tenant '{entry.Tenant}' is not in the policies (known: {string.Join(", ", policies.Tenants.Keys)})");
                continue;
            }

            if (!string.IsNullOrWhiteSpace(entry.User) && !TenantPolicy.IsValidAccountId(entry.User))
            {
                problems.Add($"{where}: user '{entry.User}' is not a valid user id (letters, digits and . _ @ + -)");
                continue;
            }

            if (keys.Any(k => CryptographicOperations.FixedTimeEquals(k.Hash, hash)))
            {
                problems.Add($"{where}: the same key is configured twice");
                continue;
            }

            keys.Add((hash, new TenantIdentity(entry.Name.Length > 0 ? entry.Name : $"key {index}", entry.Tenant, string.IsNullOrWhiteSpace(entry.User) ? null : entry.User)));
        }

        if (index == 0)
        {
            problems.Add(
                "no API keys are configured, so no request could be served. Add one under Server:ApiKeys with a Name, a Tenant "
                + "from the policies, an optional User, and its Key (16+ characters) or KeySha256, e.g. in environment variables: "
                + "Server__ApiKeys__0__Name=me Server__ApiKeys__0__Tenant=local Server__ApiKeys__0__Key=<secret>");
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Invalid API key configuration:\n" + string.Join("\n", problems));
        }
    }

    /// <summary>Gets the number of keys.</summary>
    public int Count => keys.Count;

    /// <summary>Finds the identity of a key.</summary>
    /// <param name="key">The key the client sent.</param>
    /// <returns>The identity, or <see langword="null"/> for an unknown key.</returns>
    public TenantIdentity? Find(string? key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return null;
        }

        // Every configured key is compared, so the time taken does not reveal which one came close.
        var hash = Hash(key);
        TenantIdentity? found = null;
        foreach (var (candidate, identity) in keys)
        {
            if (CryptographicOperations.FixedTimeEquals(candidate, hash))
            {
                found = identity;
            }
        }

        return found;
    }

    private static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    // The entry's hash from its Key or its KeySha256, or null after adding what is wrong with it.
    private static byte[]? HashOf(ApiKeyEntry entry, string where, List<string> problems)
    {
        var hasKey = !string.IsNullOrEmpty(entry.Key);
        var hasHash = !string.IsNullOrEmpty(entry.KeySha256);
        if (hasKey == hasHash)
        {
            problems.Add($"{where}: give exactly one of Key and KeySha256");
            return null;
        }

        if (hasKey)
        {
            if (entry.Key!.Length < 16)
            {
                problems.Add($"{where}: the key must be at least 16 characters");
                return null;
            }

            return Hash(entry.Key);
        }

        var hex = entry.KeySha256!.Trim();
        if (hex.Length != 64 || !hex.All(Uri.IsHexDigit))
        {
            problems.Add($"{where}: KeySha256 must be 64 hex digits (the SHA-256 of the key's UTF-8 bytes)");
            return null;
        }

        return Convert.FromHexString(hex);
    }
}
