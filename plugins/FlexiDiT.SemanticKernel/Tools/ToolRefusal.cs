namespace FlexiDiT.SemanticKernel;

/// <summary>A tool call the budget guard refused, as the model was told.</summary>
/// <param name="Function">The tool's name.</param>
/// <param name="Kind">Why: the ledger's budget, the run's caps, or the request itself.</param>
/// <param name="Message">What the model was told, advice included.</param>
/// <param name="At">When.</param>
public sealed record ToolRefusal(string Function, ToolRefusalKind Kind, string Message, DateTimeOffset At);
