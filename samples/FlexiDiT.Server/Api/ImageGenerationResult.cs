namespace FlexiDiT.Server;

/// <summary>The answer of <c>POST /v1/images/generations</c>: OpenAI's shape plus a <c>flexidit</c> section.</summary>
/// <param name="Created">Unix seconds.</param>
/// <param name="Data">The images.</param>
/// <param name="Flexidit">What ran and what it cost.</param>
public sealed record ImageGenerationResult(long Created, IReadOnlyList<ImageItem> Data, GenerationSummary Flexidit);
