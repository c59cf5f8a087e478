namespace FlexiDiT.Extensions.AI;

/// <summary>
/// Keys of <see cref="Microsoft.Extensions.AI.AIContent.AdditionalProperties"/> on each image FlexiDiT returns.
/// <see cref="Microsoft.Extensions.AI.ImageGenerationResponse"/> has no property bag of its own, so the decision travels
/// with every image (and in full in <see cref="FlexiDiTGenerationReport"/>).
/// </summary>
public static class FlexiDiTContentKeys
{
    /// <summary>The compute mode (plan) that ran (string).</summary>
    public const string Mode = "flexidit.mode";
    /// <summary>Credits charged for the whole request (decimal).</summary>
    public const string Cost = "flexidit.cost";
    /// <summary>The policy's explanation of the decision (string).</summary>
    public const string Reason = "flexidit.reason";
    /// <summary>Whether the request fell back to a cheaper plan or ran below its quality floor (bool).</summary>
    public const string Degraded = "flexidit.degraded";
    /// <summary>The class the prompt was matched to (string).</summary>
    public const string ClassName = "flexidit.class";
    /// <summary>The seed of the request's noise (long).</summary>
    public const string Seed = "flexidit.seed";
    /// <summary>The image's position in the request, from 0 (int).</summary>
    public const string Index = "flexidit.index";
    /// <summary>
    /// The words of the prompt the model did not understand and left out of the image (string[], e.g. ["giraffe"]); set
    /// only when there are any (the scenes model; class packs and T5 read every word).
    /// </summary>
    public const string IgnoredWords = "flexidit.ignored_words";
}
