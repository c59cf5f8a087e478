namespace FlexiDiT.Server;

/// <summary>One error.</summary>
/// <param name="Message">What went wrong, for people.</param>
/// <param name="Type">The OpenAI error type.</param>
/// <param name="Code">A machine-readable code.</param>
/// <param name="Param">The request field at fault, if any.</param>
public sealed record ErrorBody(string Message, string Type, string? Code, string? Param);
