namespace FlexiDiT.Extensions.AI;

/// <summary>Keys of <see cref="Microsoft.Extensions.AI.UsageDetails.AdditionalCounts"/> in FlexiDiT responses.</summary>
public static class FlexiDiTUsageKeys
{
    /// <summary>Denoiser FLOPs spent (2 per multiply-add).</summary>
    public const string FlopsSpent = "flexidit.flops_spent";
    /// <summary>FLOPs saved in all against the full-compute mode: FlexiDiT's part and fewer steps' part together.</summary>
    public const string FlopsSaved = "flexidit.flops_saved";
    /// <summary>FLOPs FlexiDiT saved against full compute at the same steps and guidance.</summary>
    public const string FlopsSavedByFlexiDiT = "flexidit.flops_saved_flexidit";
    /// <summary>FLOPs saved by running fewer steps than the full-compute mode (negative when more).</summary>
    public const string FlopsSavedBySteps = "flexidit.flops_saved_steps";
    /// <summary>Sampling steps per image.</summary>
    public const string Steps = "flexidit.steps";
    /// <summary>Steps whose conditional branch ran at the weak patch size.</summary>
    public const string WeakSteps = "flexidit.weak_steps";
    /// <summary>Wall milliseconds of the generation.</summary>
    public const string Milliseconds = "flexidit.milliseconds";
    /// <summary>
    /// Words of the prompt the model did not understand and left out (0 when it understood all); the words themselves are
    /// <see cref="FlexiDiTGenerationReport.IgnoredWords"/> and each image's <see cref="FlexiDiTContentKeys.IgnoredWords"/>.
    /// </summary>
    public const string IgnoredWords = "flexidit.ignored_words";
    /// <summary>Cost charged, in thousandths of a credit (counts are integers).</summary>
    public const string CostMillicredits = "flexidit.cost_millicredits";
}
