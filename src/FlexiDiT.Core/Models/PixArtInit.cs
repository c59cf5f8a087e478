using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>
/// PixArt-α's <c>initialize_weights</c> for training from scratch: Xavier-uniform linears and patch embedding,
/// N(0, 0.02) timestep MLP, <c>t_block</c> and caption projection, zero cross-attention output and final linear,
/// scale-shift tables ~ N(0, 1/D), the null caption ~ N(0, 1/C) (a fixed buffer, as the official code registers it).
/// The pooled-caption MLP (not in the official model) is Xavier-initialised like the other linears, not N(0, 0.02)
/// like the timestep MLP: through two N(0, 0.02) layers the caption would start at a third of the timestep's size in
/// the adaLN input, and the Shapes runs showed such a small start is learned late (the class model needed a class
/// table of std 1; a text-to-image run with the small start still ignored its captions after 3800 steps).
/// </summary>
public static class PixArtInit
{
    /// <summary>Initialises <paramref name="model"/> as the official code does before training.</summary>
    public static void Apply(PixArt model, Generator? generator = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        using var _ = torch.no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.StartsWith("flexi.", StringComparison.Ordinal) || name.Contains(".lora.", StringComparison.Ordinal)) continue;
            if (name.EndsWith("scale_shift_table", StringComparison.Ordinal))
            {
                p.copy_(torch.randn(p.shape, generator: generator) / Math.Sqrt(p.shape[1]));
            }
            else if (name.Contains("cross_attn.proj", StringComparison.Ordinal) || name.StartsWith("final_layer.linear", StringComparison.Ordinal)
                || (p.dim() == 1 && name.EndsWith("bias", StringComparison.Ordinal)))
            {
                p.zero_();
            }
            else if (name.StartsWith("t_embedder.mlp", StringComparison.Ordinal) || name.StartsWith("t_block", StringComparison.Ordinal) || name.StartsWith("y_embedder.y_proj", StringComparison.Ordinal))
            {
                p.copy_(torch.randn(p.shape, generator: generator) * OfficialInit.EmbeddingStd);
            }
            else
            {
                long fanOut = p.shape[0], fanIn = p.numel() / fanOut; // the patch embedding is viewed as (D, C·p·p)
                double bound = Math.Sqrt(6.0 / (fanIn + fanOut));
                p.copy_((torch.rand(p.shape, generator: generator) * 2 - 1) * bound);
            }
        }
        if (model.NullCaption is { } nullCaption)
            nullCaption.copy_(torch.randn(nullCaption.shape, generator: generator) / Math.Sqrt(nullCaption.shape[1]));
    }
}
