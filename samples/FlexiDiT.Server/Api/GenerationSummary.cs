namespace FlexiDiT.Server;

/// <summary>What the governance decided and the ledger charged for one request.</summary>
public sealed record GenerationSummary
{
    /// <summary>Gets the mode (plan) that ran.</summary>
    public required string Mode { get; init; }

    /// <summary>Gets the task type.</summary>
    public required string TaskType { get; init; }

    /// <summary>Gets the tenant charged.</summary>
    public required string Tenant { get; init; }

    /// <summary>Gets the user charged, if any.</summary>
    public string? User { get; init; }

    /// <summary>Gets the credits charged.</summary>
    public required decimal Cost { get; init; }

    /// <summary>Gets the percentage of compute saved against the full-compute mode (FlexiDiT's and fewer steps' together).</summary>
    public required int ComputeSavedPercent { get; init; }

    /// <summary>Gets the percentage FlexiDiT saved against full compute at the same steps and guidance.</summary>
    public int FlexiDiTSavedPercent { get; init; }

    /// <summary>Gets the percentage saved by running fewer steps than the full-compute mode (negative when more).</summary>
    public int StepsSavedPercent { get; init; }

    /// <summary>Gets a value indicating whether a mode below the task's quality floor ran.</summary>
    public required bool Degraded { get; init; }

    /// <summary>
    /// Gets the words of the prompt the model did not understand and left out of the images ("giraffe"); empty when it
    /// understood every word.
    /// </summary>
    public IReadOnlyList<string> IgnoredWords { get; init; } = [];

    /// <summary>Gets the policy's explanation.</summary>
    public required string Reason { get; init; }

    /// <summary>Gets the milliseconds the generation took.</summary>
    public required double LatencyMs { get; init; }

    /// <summary>Gets the credits left this period after the charge.</summary>
    public required decimal RemainingCredits { get; init; }
}
