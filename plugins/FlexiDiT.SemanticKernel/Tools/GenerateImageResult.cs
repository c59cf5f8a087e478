namespace FlexiDiT.SemanticKernel;

/// <summary>What a <c>generate_image</c> call produced, or why it produced nothing.</summary>
/// <param name="Message">What the model reads: the cost line and image locations, or the refusal and its advice.</param>
/// <param name="Generation">The paid generation, when it ran.</param>
/// <param name="Refusal">The refusal, when it did not.</param>
public sealed record GenerateImageResult(string Message, ImageCallRecord? Generation, ToolRefusal? Refusal)
{
    /// <summary>Gets a value indicating whether images were generated (and paid for).</summary>
    public bool Succeeded => Generation is not null;
}
