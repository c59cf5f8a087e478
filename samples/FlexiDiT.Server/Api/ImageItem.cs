namespace FlexiDiT.Server;

/// <summary>One image: base64 PNG or a URL, as asked.</summary>
/// <param name="B64Json">The PNG, base64-encoded.</param>
/// <param name="Url">Where to fetch the PNG.</param>
/// <param name="RevisedPrompt">The model class the prompt was matched to.</param>
public sealed record ImageItem(string? B64Json, string? Url, string? RevisedPrompt);
