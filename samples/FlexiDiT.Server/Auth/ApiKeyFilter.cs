namespace FlexiDiT.Server.Auth;

/// <summary>
/// Lets a request through only with a known API key (<c>Authorization: Bearer &lt;key&gt;</c>, or <c>api-key</c> as
/// Azure OpenAI clients send it) and puts the key's <see cref="TenantIdentity"/> on the request.
/// </summary>
internal sealed class ApiKeyFilter(ApiKeyRegistry registry, Metrics.ServerMetrics metrics) : IEndpointFilter
{
    private const string IdentityItem = "flexidit.identity";

    public static TenantIdentity IdentityOf(HttpContext context) =>
        context.Items[IdentityItem] as TenantIdentity ?? throw new InvalidOperationException("the endpoint is not behind ApiKeyFilter");

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var key = ReadKey(http.Request);
        var identity = registry.Find(key);
        if (identity is null)
        {
            metrics.Unauthorized();
            http.Response.Headers.WWWAuthenticate = "Bearer";
            return ApiErrors.Error(
                StatusCodes.Status401Unauthorized,
                key is null ? "Missing API key: send 'Authorization: Bearer <key>'." : "Invalid API key.",
                "invalid_request_error",
                "invalid_api_key");
        }

        http.Items[IdentityItem] = identity;
        return await next(context);
    }

    private static string? ReadKey(HttpRequest request)
    {
        var authorization = request.Headers.Authorization.ToString();
        if (authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return authorization["Bearer ".Length..].Trim();
        }

        return request.Headers.TryGetValue("api-key", out var apiKey) && apiKey.Count > 0 ? apiKey.ToString() : null;
    }
}
