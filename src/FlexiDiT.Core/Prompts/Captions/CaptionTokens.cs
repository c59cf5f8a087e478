namespace FlexiDiT.Prompts.Captions;

/// <summary>A caption as fixed-length token ids: [CLS] words [SEP], then [PAD].</summary>
/// <param name="Ids">Token ids, length <see cref="SceneTokenizer.MaxTokens"/>.</param>
/// <param name="Mask">True for real tokens, false for padding.</param>
/// <param name="Truncated">Whether words were cut to fit (the [SEP] is kept).</param>
public sealed record CaptionTokens(long[] Ids, bool[] Mask, bool Truncated);
