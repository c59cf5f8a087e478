using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace FlexiDiT.Server.Tests.Support;

/// <summary>Reads and writes the API's snake_case JSON.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static Task<HttpResponseMessage> PostGenerationAsync(this HttpClient client, object body) =>
        client.PostAsJsonAsync("/v1/images/generations", body, Options);

    public static async Task<JsonNode> ReadNodeAsync(this HttpResponseMessage response) =>
        JsonNode.Parse(await response.Content.ReadAsStringAsync()) ?? throw new InvalidOperationException("empty body");

    public static async Task<decimal> TenantSpentAsync(this HttpClient client)
    {
        var budget = await (await client.GetAsync("/v1/budget")).ReadNodeAsync();
        return budget["tenant_account"]!["spent"]!.GetValue<decimal>();
    }
}
