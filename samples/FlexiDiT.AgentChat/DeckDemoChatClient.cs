using System.Text.Json;
using System.Text.RegularExpressions;
using FlexiDiT.SemanticKernel;
using Microsoft.Extensions.AI;

namespace FlexiDiT.AgentChat;

/// <summary>
/// A scripted model for <c>--demo</c>: it plans the deck request the way a good model would (budget and estimates
/// first, then one call per task type, following a refusal's advice once) and emits real function calls, so the demo
/// runs the same kernel, filter, ledger and generator as a chat with a real model.
/// </summary>
public sealed partial class DeckDemoChatClient : IChatClient
{
    /// <summary>The request the demo sends.</summary>
    public const string Request = "Images for a 6-slide deck, two of them ad-quality, within 40 credits.";

    private static readonly (string Prompt, string TaskType, int Count)[] Plan =
    [
        ("a red circle", "ad-creative", 2),
        ("a blue square", "slide", 4),
    ];

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var history = messages.ToList();
        var tools = (options?.Tools ?? []).Select(t => t.Name).ToList();
        return Task.FromResult(new ChatResponse(Next(history, tools)) { ModelId = "scripted-deck-demo" });
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        foreach (var update in (await GetResponseAsync(messages, options, cancellationToken)).ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private static ChatMessage Next(List<ChatMessage> history, List<string> tools)
    {
        // Only this request's turn counts: earlier turns of a conversation are done.
        var start = history.FindLastIndex(m => m.Role == ChatRole.User);
        var turn = history.Skip(start + 1).ToList();
        var calls = turn.SelectMany(m => m.Contents).OfType<FunctionCallContent>().ToList();
        var results = turn.SelectMany(m => m.Contents).OfType<FunctionResultContent>().ToDictionary(r => r.CallId, r => r.Result);
        string Tool(string name) => tools.First(t => t == name || t.EndsWith(name, StringComparison.Ordinal));

        if (calls.Count == 0)
        {
            return Call(
                (Tool(FlexiDiTImageTools.BudgetFunction), []),
                (Tool(FlexiDiTImageTools.EstimateFunction), new() { ["taskType"] = Plan[0].TaskType, ["count"] = Plan[0].Count }),
                (Tool(FlexiDiTImageTools.EstimateFunction), new() { ["taskType"] = Plan[1].TaskType, ["count"] = Plan[1].Count }));
        }

        var generations = calls.Where(c => c.Name.EndsWith(FlexiDiTImageTools.GenerateFunction, StringComparison.Ordinal))
            .Select(c => (Call: c, Result: Text(results.GetValueOrDefault(c.CallId))))
            .ToList();

        // A refusal's advice is followed once; a second refusal ends the plan.
        if (generations.Count > 0 && IsRefusal(generations[^1].Result))
        {
            var refused = generations[^1];
            var retried = generations.Count >= 2 && IsRefusal(generations[^2].Result);
            if (!retried && Advice(refused.Result) is { } advice)
            {
                return Call((Tool(FlexiDiTImageTools.GenerateFunction), new() { ["prompt"] = refused.Call.Arguments!["prompt"], ["taskType"] = advice.TaskType, ["count"] = advice.Count }));
            }

            if (!retried && SlowestNeeded().Match(refused.Result) is { Success: true } slow)
            {
                // "no plan ... finishes within the SLA; fastest is ... ~N ms": ask for that long, with a margin.
                var seconds = Math.Ceiling(double.Parse(slow.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) / 1000 * 1.5);
                var retry = new Dictionary<string, object?>(refused.Call.Arguments!) { ["deadlineSeconds"] = seconds };
                return Call((Tool(FlexiDiTImageTools.GenerateFunction), retry));
            }
        }

        var attempted = generations.Select(g => (string?)g.Call.Arguments!["prompt"]?.ToString()).ToHashSet();
        var estimates = results.Values.OfType<CostEstimate>().ToDictionary(e => e.TaskType);
        foreach (var (prompt, taskType, count) in Plan)
        {
            if (!attempted.Contains(prompt))
            {
                // Planning from the estimates: a task type no mode can serve at its quality is swapped for the next best,
                // and a deadline is asked for when the mode that meets the quality is predicted to be slower than the default.
                var task = estimates.TryGetValue(taskType, out var e) && !e.Modes.Any(m => m.MeetsQualityFloor) && taskType == "ad-creative" ? "slide" : taskType;
                var arguments = new Dictionary<string, object?> { ["prompt"] = prompt, ["taskType"] = task, ["count"] = count };
                var planned = estimates.GetValueOrDefault(task)?.Modes.Where(m => m.MeetsQualityFloor).MinBy(m => m.Credits);
                if (planned is { MeetsDeadline: false, PredictedSeconds: { } predicted })
                {
                    arguments["deadlineSeconds"] = Math.Ceiling(predicted * 1.5);
                }

                return Call((Tool(FlexiDiTImageTools.GenerateFunction), arguments));
            }
        }

        var done = generations.Where(g => !IsRefusal(g.Result)).ToList();
        var lines = done.Select(g => $"- {g.Call.Arguments!["taskType"]}: {ModeLine().Match(g.Result).Value}: {string.Join(", ", FileUri().Matches(g.Result).Select(m => m.Value))}");
        return new ChatMessage(ChatRole.Assistant, done.Count == 0
            ? "I could not generate any deck images within the budget."
            : "Your deck images are ready:\n" + string.Join("\n", lines));
    }

    private static ChatMessage Call(params (string Name, Dictionary<string, object?> Arguments)[] calls) =>
        new(ChatRole.Assistant, [.. calls.Select(c => (AIContent)new FunctionCallContent("call-" + Guid.NewGuid().ToString("N")[..8], c.Name, c.Arguments))]);

    private static string Text(object? result) => result switch
    {
        null => string.Empty,
        string s => s,
        JsonElement { ValueKind: JsonValueKind.String } e => e.GetString() ?? string.Empty,
        _ => result.ToString() ?? string.Empty,
    };

    private static bool IsRefusal(string result) => result.StartsWith("Refused", StringComparison.Ordinal) || result.StartsWith("Not generated", StringComparison.Ordinal);

    private static (string TaskType, int Count)? Advice(string refusal)
    {
        if (FewerImages().Match(refusal) is { Success: true } fewer)
        {
            return (fewer.Groups[2].Value, int.Parse(fewer.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture));
        }

        return CheaperTask().Match(refusal) is { Success: true } cheaper
            ? (cheaper.Groups[1].Value, int.Parse(cheaper.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture))
            : null;
    }

    [GeneratedRegex(@"ask for (\d+) images? of '([a-z0-9-]+)' instead")]
    private static partial Regex FewerImages();

    [GeneratedRegex(@"use the cheaper task type '([a-z0-9-]+)' \([^)]*\): (\d+) images?")]
    private static partial Regex CheaperTask();

    [GeneratedRegex(@"within the \d+ ms SLA; fastest is .*?~(\d+) ms\)")]
    private static partial Regex SlowestNeeded();

    [GeneratedRegex(@"^\d+ images?, mode [^,]+, [0-9.]+ credits")]
    private static partial Regex ModeLine();

    [GeneratedRegex(@"file://\S+?\.png")]
    private static partial Regex FileUri();
}
