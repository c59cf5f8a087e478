namespace FlexiDiT.Server;

/// <summary>
/// The body of <c>POST /v1/images/generations</c>: OpenAI's fields plus FlexiDiT's <c>task_type</c>, <c>deadline</c>
/// and <c>seed</c>. There is no tenant field: the API key decides who pays.
/// </summary>
public sealed record ImageGenerationBody
{
    /// <summary>Gets what to draw; it must name one of the model's classes, e.g. "a red circle".</summary>
    public string? Prompt { get; init; }

    /// <summary>Gets the number of images (default 1).</summary>
    public int? N { get; init; }

    /// <summary>Gets the size, <c>WxH</c>: the model's native size or a whole multiple of it.</summary>
    public string? Size { get; init; }

    /// <summary>Gets <c>b64_json</c> (default) or <c>url</c>.</summary>
    public string? ResponseFormat { get; init; }

    /// <summary>Gets the model pack, if not the default.</summary>
    public string? Model { get; init; }

    /// <summary>Gets the task type (draft, thumbnail, slide, ad-creative, batch-overnight); the server's default if omitted.</summary>
    public string? TaskType { get; init; }

    /// <summary>Gets a deadline in seconds replacing the task's default SLA.</summary>
    public double? Deadline { get; init; }

    /// <summary>Gets a seed (same seed, mode and count: same images).</summary>
    public long? Seed { get; init; }

    /// <summary>Gets OpenAI's end-user id; accepted for compatibility and never used for billing (the key decides who pays).</summary>
    public string? User { get; init; }
}
