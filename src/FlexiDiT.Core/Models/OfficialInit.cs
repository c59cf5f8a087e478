using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>DiT's <c>initialize_weights</c>: Xavier-uniform linears and patch embedding, N(0, 0.02) embeddings, adaLN-Zero.</summary>
public static class OfficialInit
{
    /// <summary>Standard deviation of the official N(0, σ) initialisation of the class and timestep embeddings.</summary>
    public const double EmbeddingStd = 0.02;

    /// <summary>Initialises <paramref name="model"/> as the official code does before training.</summary>
    public static void Apply(DiT model, Generator? generator = null)
    {
        using var _ = torch.no_grad();
        foreach (var (name, p) in model.named_parameters())
        {
            if (name.StartsWith("flexi.", StringComparison.Ordinal) || name.Contains(".lora.", StringComparison.Ordinal)) continue;
            bool zero = name.Contains("adaLN_modulation", StringComparison.Ordinal) || name.StartsWith("final_layer.linear", StringComparison.Ordinal);
            if (zero || (p.dim() == 1 && name.EndsWith("bias", StringComparison.Ordinal)))
            {
                p.zero_();
            }
            else if (name is "y_embedder.embedding_table.weight" || name.StartsWith("t_embedder.mlp", StringComparison.Ordinal))
            {
                p.copy_(torch.randn(p.shape, generator: generator) * EmbeddingStd);
            }
            else
            {
                long fanOut = p.shape[0], fanIn = p.numel() / fanOut; // the patch embedding is viewed as (D, C·p·p)
                double bound = Math.Sqrt(6.0 / (fanIn + fanOut));
                p.copy_((torch.rand(p.shape, generator: generator) * 2 - 1) * bound);
            }
        }
    }
}
