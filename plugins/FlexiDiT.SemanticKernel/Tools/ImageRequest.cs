namespace FlexiDiT.SemanticKernel;

/// <summary>What a tool call asks to generate.</summary>
/// <param name="Prompt">What to draw.</param>
/// <param name="TaskType">The task type, which sets the quality floor and default deadline.</param>
/// <param name="Count">The number of images.</param>
/// <param name="DeadlineSeconds">A deadline replacing the task's default, if any.</param>
public sealed record ImageRequest(string Prompt, string TaskType, int Count = 1, double? DeadlineSeconds = null);
