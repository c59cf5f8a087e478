namespace FlexiDiT.Extensions.AI;

/// <summary>Keys of <see cref="Microsoft.Extensions.AI.UsageDetails.AdditionalCounts"/> in FlexiDiT responses.</summary>
public static class FlexiDiTUsageKeys
{
    /// <summary>Denoiser FLOPs spent (2 per multiply-add).</summary>
    public const string FlopsSpent = "flexidit.flops_spent";
    /// <summary>FLOPs saved against running the same steps at full compute.</summary>
    public const string FlopsSaved = "flexidit.flops_saved";
    /// <summary>Sampling steps per image.</summary>
    public const string Steps = "flexidit.steps";
    /// <summary>Steps whose conditional branch ran at the weak patch size.</summary>
    public const string WeakSteps = "flexidit.weak_steps";
    /// <summary>Wall milliseconds of the generation.</summary>
    public const string Milliseconds = "flexidit.milliseconds";
    /// <summary>Cost charged, in thousandths of a credit (counts are integers).</summary>
    public const string CostMillicredits = "flexidit.cost_millicredits";
}
