using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>The encoder stack: the blocks and the final RMS norm (Hugging Face's <c>T5Stack</c>, embeddings held by the model).</summary>
public sealed class T5Stack : nn.Module
{
    private readonly ModuleList<T5Block> block = new();
    private readonly T5LayerNorm final_layer_norm;

    /// <summary>Creates the stack.</summary>
    public T5Stack(T5Config config, ScalarType dtype = ScalarType.Float32) : base(nameof(T5Stack))
    {
        for (int i = 0; i < config.NumLayers; i++) block.Add(new T5Block(config, hasRelativeAttentionBias: i == 0, dtype));
        final_layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, dtype);
        RegisterComponents();
    }

    /// <summary>
    /// Runs the blocks over <paramref name="embeddings"/> [B, T, d_model]. The position bias is computed once,
    /// by block 0, with the padding mask added as <c>(1 − mask) · float32.min</c> on masked keys, and reused by every block.
    /// </summary>
    public Tensor Forward(Tensor embeddings, Tensor attentionMask)
    {
        using var scope = torch.NewDisposeScope();
        var padding = (1 - attentionMask.to(ScalarType.Float32)).unsqueeze(1).unsqueeze(1) * float.MinValue; // [B, 1, 1, T]
        var bias = block[0].SelfAttentionLayer.Attention.ComputeBias(embeddings.shape[1], embeddings.device) + padding;
        var h = embeddings;
        foreach (var b in block)
        {
            var next = b.Forward(h, bias);
            if (!ReferenceEquals(h, embeddings)) h.Dispose();
            h = next;
        }
        return final_layer_norm.Forward(h).MoveToOuterDisposeScope();
    }
}
