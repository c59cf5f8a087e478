using System.Collections.Concurrent;
using Microsoft.Extensions.AI;

namespace FlexiDiT.SemanticKernel.Tests.Support;

/// <summary>
/// A model that follows a script: each turn looks at the conversation so far (tool results included) and answers
/// with text or with function calls. Driven through the real SK and MEAI function-calling pipelines.
/// </summary>
internal sealed class ScriptedChatClient : IChatClient
{
    private readonly Func<Turn, ChatMessage> script;
    private int turns;

    public ScriptedChatClient(Func<Turn, ChatMessage> script) => this.script = script;

    /// <summary>Gets every request the model received.</summary>
    public ConcurrentQueue<(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)> Requests { get; } = new();

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        Requests.Enqueue((list, options));
        var turn = new Turn(Interlocked.Increment(ref turns), list, options);
        return Task.FromResult(new ChatResponse(script(turn)) { ModelId = "scripted" });
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    /// <summary>Builds an assistant message with function calls.</summary>
    public static ChatMessage Call(params (string Name, Dictionary<string, object?> Arguments)[] calls) =>
        new(ChatRole.Assistant, [.. calls.Select(c => (AIContent)new FunctionCallContent("call-" + Guid.NewGuid().ToString("N")[..8], c.Name, c.Arguments))]);

    /// <summary>Builds an assistant text message.</summary>
    public static ChatMessage Say(string text) => new(ChatRole.Assistant, text);

    /// <summary>One turn of the conversation as the model sees it.</summary>
    public sealed record Turn(int Number, IReadOnlyList<ChatMessage> Messages, ChatOptions? Options)
    {
        /// <summary>Gets the text of the tool results since the model's last call.</summary>
        public IReadOnlyList<string> LastToolResults =>
        [
            .. Messages.Reverse().TakeWhile(m => m.Role == ChatRole.Tool)
                .SelectMany(m => m.Contents.OfType<FunctionResultContent>())
                .Select(r => r.Result?.ToString() ?? string.Empty)
                .Reverse(),
        ];

        /// <summary>Gets the names of the tools offered.</summary>
        public IReadOnlyList<string> ToolNames => [.. (Options?.Tools ?? []).Select(t => t.Name)];

        /// <summary>Gets the name a tool was offered under (SK prefixes its plugin name).</summary>
        public string Tool(string function) =>
            ToolNames.FirstOrDefault(n => n == function || n.EndsWith("-" + function, StringComparison.Ordinal) || n.EndsWith("_" + function, StringComparison.Ordinal))
            ?? throw new InvalidOperationException($"tool '{function}' was not offered; offered: {string.Join(", ", ToolNames)}");

        /// <summary>Builds an assistant message calling one offered tool.</summary>
        public ChatMessage Call(string function, Dictionary<string, object?> arguments) => ScriptedChatClient.Call((Tool(function), arguments));

        /// <summary>Gets the system instructions.</summary>
        public string Instructions => string.Join("\n", Messages.Where(m => m.Role == ChatRole.System).Select(m => m.Text));
    }
}
