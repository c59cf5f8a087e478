namespace FlexiDiT.SemanticKernel;

/// <summary>One generation a run paid for.</summary>
public sealed record ImageCallRecord
{
    /// <summary>Gets the prompt.</summary>
    public required string Prompt { get; init; }

    /// <summary>Gets the task type.</summary>
    public required string TaskType { get; init; }

    /// <summary>Gets the number of images produced.</summary>
    public required int Count { get; init; }

    /// <summary>Gets the mode (plan) that ran.</summary>
    public required string Mode { get; init; }

    /// <summary>Gets the credits charged.</summary>
    public required decimal Cost { get; init; }

    /// <summary>Gets the share of compute saved against full compute (0..1): FlexiDiT's part and fewer steps' part together.</summary>
    public required double ComputeSaved { get; init; }

    /// <summary>
    /// Gets the share FlexiDiT saved against full compute at the same steps and guidance (0..1), when the generator
    /// reported the split; <see langword="null"/> otherwise.
    /// </summary>
    public double? ComputeSavedByFlexiDiT { get; init; }

    /// <summary>Gets the share saved by running fewer steps than full compute, when reported; <see langword="null"/> otherwise.</summary>
    public double? ComputeSavedBySteps { get; init; }

    /// <summary>Gets a value indicating whether the mode is below the task's quality floor because the budget forced it.</summary>
    public required bool Degraded { get; init; }

    /// <summary>
    /// Gets the words of the prompt the model did not understand and left out of the images ("giraffe"); empty when it
    /// understood every word.
    /// </summary>
    public IReadOnlyList<string> IgnoredWords { get; init; } = [];

    /// <summary>Gets the images.</summary>
    public required IReadOnlyList<GeneratedImage> Images { get; init; }
}
