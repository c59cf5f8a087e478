using System.ClientModel;
using Microsoft.Extensions.AI;
using OpenAI;

namespace FlexiDiT.AgentChat;

/// <summary>The chat model's endpoint, from environment variables, and the help text for setting them.</summary>
/// <param name="Endpoint">The OpenAI-compatible base URL.</param>
/// <param name="Model">The model or deployment name.</param>
/// <param name="ApiKey">The API key, if the endpoint needs one.</param>
public sealed record ChatEndpoint(Uri Endpoint, string Model, string? ApiKey)
{
    /// <summary>The variable naming the endpoint.</summary>
    public const string EndpointVariable = "FLEXIDIT_CHAT_ENDPOINT";

    /// <summary>The variable naming the model.</summary>
    public const string ModelVariable = "FLEXIDIT_CHAT_MODEL";

    /// <summary>The variable holding the API key.</summary>
    public const string ApiKeyVariable = "FLEXIDIT_CHAT_API_KEY";

    /// <summary>What to set, shown when nothing is set.</summary>
    public const string Help = $"""
        No chat model is configured. Set these environment variables:
          {EndpointVariable}  OpenAI-compatible base URL (required)
          {ModelVariable}     model or deployment name (required)
          {ApiKeyVariable}   API key (not needed for a local Ollama)

        OpenAI:        {EndpointVariable}=https://api.openai.com/v1
                       {ModelVariable}=gpt-4o-mini   {ApiKeyVariable}=sk-...
        Azure OpenAI:  {EndpointVariable}=https://<resource>.openai.azure.com/openai/v1/
                       {ModelVariable}=<deployment name>   {ApiKeyVariable}=<resource key>
        Ollama:        {EndpointVariable}=http://localhost:11434/v1
                       {ModelVariable}=llama3.1   (a model with tool calling)

        Or run the scripted demo, which drives the same pipeline with a scripted model:  --demo
        """;

    /// <summary>Reads the variables.</summary>
    /// <param name="variables">Reads one variable (the process environment by default).</param>
    /// <param name="problem">What is wrong when the result is <see langword="null"/> and something was set.</param>
    /// <returns>The endpoint, or <see langword="null"/> when it is not (fully or validly) configured.</returns>
    public static ChatEndpoint? FromEnvironment(Func<string, string?> variables, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(variables);
        var endpoint = variables(EndpointVariable);
        var model = variables(ModelVariable);
        var key = variables(ApiKeyVariable);
        problem = null;
        if (string.IsNullOrWhiteSpace(endpoint) && string.IsNullOrWhiteSpace(model))
        {
            return null;
        }

        if (string.IsNullOrWhiteSpace(endpoint) || !Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            problem = $"{EndpointVariable} must be an http(s) URL (got '{endpoint}').";
            return null;
        }

        if (string.IsNullOrWhiteSpace(model))
        {
            problem = $"{ModelVariable} is not set.";
            return null;
        }

        return new ChatEndpoint(uri, model, string.IsNullOrWhiteSpace(key) ? null : key);
    }

    /// <summary>Creates the chat client.</summary>
    /// <returns>An MEAI chat client for the endpoint.</returns>
    public IChatClient CreateClient()
    {
        // Local servers such as Ollama ignore the key, but the client library insists on one.
        var client = new OpenAIClient(new ApiKeyCredential(ApiKey ?? "no-key"), new OpenAIClientOptions { Endpoint = Endpoint });
        return client.GetChatClient(Model).AsIChatClient();
    }
}
