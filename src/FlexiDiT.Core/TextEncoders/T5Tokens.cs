using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>Tokenised prompts, as Hugging Face's tokenizer returns them for T5.</summary>
/// <param name="InputIds">int64 [B, max_length]: pieces, <c>&lt;/s&gt;</c>, then padding.</param>
/// <param name="AttentionMask">int64 [B, max_length]: 1 on pieces and <c>&lt;/s&gt;</c>, 0 on padding.</param>
public sealed record T5Tokens(Tensor InputIds, Tensor AttentionMask) : IDisposable
{
    /// <summary>The real tokens (pieces and <c>&lt;/s&gt;</c>) of each prompt.</summary>
    public IReadOnlyList<int> Lengths => AttentionMask.sum(1).data<long>().Select(n => (int)n).ToArray();

    /// <summary>Frees both tensors.</summary>
    public void Dispose()
    {
        InputIds.Dispose();
        AttentionMask.Dispose();
    }
}
