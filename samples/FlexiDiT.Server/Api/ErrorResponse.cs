namespace FlexiDiT.Server;

/// <summary>The error envelope.</summary>
/// <param name="Error">The error.</param>
public sealed record ErrorResponse(ErrorBody Error);
