using Microsoft.Extensions.AI;

namespace FlexiDiT.SemanticKernel;

/// <summary>One image a tool call produced: where it was saved and its bytes.</summary>
/// <param name="Path">The file it was saved to.</param>
/// <param name="Uri">The file's <c>file://</c> URI.</param>
/// <param name="Content">The image bytes with their media type.</param>
public sealed record GeneratedImage(string Path, Uri Uri, DataContent Content);
