using Microsoft.SemanticKernel;

namespace FlexiDiT.SemanticKernel;

/// <summary>What one run of the <see cref="BudgetAwareAgent"/> produced and spent.</summary>
public sealed record AgentRunResult
{
    /// <summary>Gets the model's final answer, or <see langword="null"/> when the run was stopped before it gave one.</summary>
    public string? Answer { get; init; }

    /// <summary>Gets the spend report, computed from the ledger.</summary>
    public required SpendReport Report { get; init; }

    /// <summary>Gets the run: its generations, refusals and images.</summary>
    public required ImageRun Run { get; init; }

    /// <summary>Gets a value indicating whether the budget filter ended the function-calling loop.</summary>
    public bool Terminated => Run.IsStopped;

    /// <summary>Gets the messages of the run after the instructions: the request, tool calls, tool results and answers.</summary>
    public required IReadOnlyList<ChatMessageContent> Transcript { get; init; }

    /// <summary>Gets the images generated.</summary>
    public IReadOnlyList<GeneratedImage> Images => Run.Images;

    /// <summary>Renders the answer (or the stop) followed by the spend report.</summary>
    /// <returns>The text to show the user.</returns>
    public string ToText() =>
        (Answer is { Length: > 0 } answer ? answer : $"(The run was stopped: {Run.StopReason ?? "no answer"}.)") + "\n\n" + Report.ToText();
}
