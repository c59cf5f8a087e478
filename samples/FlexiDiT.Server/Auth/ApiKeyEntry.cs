namespace FlexiDiT.Server.Auth;

/// <summary>One API key and the account it spends from (configuration <c>Server:ApiKeys</c>).</summary>
public sealed class ApiKeyEntry
{
    /// <summary>Gets or sets a label for logs; never the key itself.</summary>
    public string Name { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets the secret the client sends as <c>Authorization: Bearer &lt;key&gt;</c> (at least 16 characters).
    /// Give it, or <see cref="KeySha256"/>, never both. It is hashed at start-up and not kept.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>
    /// Gets or sets the key's SHA-256 (64 hex digits, e.g. from <c>printf %s "$KEY" | sha256sum</c>), so the
    /// configuration need not hold the secret itself.
    /// </summary>
    public string? KeySha256 { get; set; }

    /// <summary>Gets or sets the tenant charged (must exist in the policies).</summary>
    public string Tenant { get; set; } = string.Empty;

    /// <summary>Gets or sets the user within the tenant charged, if any.</summary>
    public string? User { get; set; }
}
