namespace FlexiDiT.Vae;

/// <summary>The state-dict namings that published SD VAE files use.</summary>
public enum VaeKeyNaming
{
    /// <summary>diffusers' current names (<c>decoder.up_blocks.N.resnets.M</c>, <c>attentions.0.to_q</c>); the module's own.</summary>
    Diffusers,
    /// <summary>diffusers' names with the deprecated attention names (<c>query</c>, <c>key</c>, <c>value</c>, <c>proj_attn</c>).</summary>
    DiffusersLegacyAttention,
    /// <summary>The original CompVis ldm names (<c>decoder.up.N.block.M</c>, <c>mid.attn_1.q</c> as 1×1 convs, <c>up.0</c> the last level).</summary>
    Ldm,
}
