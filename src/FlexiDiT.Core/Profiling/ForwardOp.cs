namespace FlexiDiT.Profiling;

/// <summary>The kinds of work one Diffusion Transformer forward is made of, as <see cref="OpProfiler"/> books them.</summary>
public enum ForwardOp
{
    /// <summary>Patch embedding (the p×p convolution and token flattening) plus position and patch-size embeddings.</summary>
    PatchEmbed,

    /// <summary>Timestep and label (or caption) embeddings and the SiLU all adaLN modulations share.</summary>
    Conditioning,

    /// <summary>The adaLN linears of the blocks and the final layer, and their split into shift, scale and gate.</summary>
    AdaLnModulation,

    /// <summary>Layer norms (no affine: adaLN supplies scale and shift).</summary>
    Norm,

    /// <summary>x·(1 + scale) + shift.</summary>
    Modulate,

    /// <summary>The fused query-key-value linear and its split into heads.</summary>
    QkvLinear,

    /// <summary>softmax(q kᵀ / √d) v.</summary>
    AttentionCore,

    /// <summary>Merging the heads and the attention's output projection.</summary>
    AttentionProj,

    /// <summary>The MLP's first linear (and its GELU where the packed kernel applies it to the product).</summary>
    MlpFc1,

    /// <summary>The MLP's GELU (tanh approximation), where it is a pass of its own (not fused into <see cref="MlpFc1"/>).</summary>
    Gelu,

    /// <summary>The MLP's second linear.</summary>
    MlpFc2,

    /// <summary>Gated residual updates x + gate·y.</summary>
    GateResidual,

    /// <summary>PixArt's cross-attention to the caption: its query and key-value linears, the softmax over the kept caption tokens, and its output projection.</summary>
    CrossAttention,

    /// <summary>The final layer's de-embedding linear.</summary>
    FinalLinear,

    /// <summary>Tokens back to a (N, C, H, W) image.</summary>
    Unpatchify,

    /// <summary>What no part above covers: allocation and release of tensors (the dispose scope), type conversions, the forward's own bookkeeping.</summary>
    Other,
}
