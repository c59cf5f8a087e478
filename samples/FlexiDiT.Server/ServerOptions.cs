using FlexiDiT.Server.Auth;

namespace FlexiDiT.Server;

/// <summary>The server's own settings (configuration section <c>Server</c>).</summary>
public sealed class ServerOptions
{
    /// <summary>The configuration section.</summary>
    public const string Section = "Server";

    /// <summary>Gets the API keys and the tenants they spend from.</summary>
    public List<ApiKeyEntry> ApiKeys { get; } = [];

    /// <summary>Gets or sets the longest prompt accepted.</summary>
    public int MaxPromptLength { get; set; } = 1000;

    /// <summary>
    /// Gets or sets the largest request body accepted, in bytes (larger ones get 413): a generation request is a
    /// prompt and a few fields, so there is no reason to read megabytes from anyone.
    /// </summary>
    public long MaxRequestBodyBytes { get; set; } = 64 * 1024;

    /// <summary>Gets or sets how long a <c>response_format: url</c> link works; the file is deleted after it.</summary>
    public TimeSpan ImageUrlLifetime { get; set; } = TimeSpan.FromHours(1);

    /// <summary>
    /// Gets or sets the key (32+ characters) that signs image URLs. <see langword="null"/> means a random key per
    /// process, which is right while each replica keeps its own image folder (links are served by the replica that
    /// made them); replicas sharing a folder behind a load balancer need one shared key.
    /// </summary>
    public string? UrlSigningKey { get; set; }

    /// <summary>Gets or sets the folder images of <c>response_format: url</c> are kept in; <see langword="null"/> for a temp folder.</summary>
    public string? ImageFolder { get; set; }
}
