using FlexiDiT.Diffusion;

namespace FlexiDiT.Models;

/// <summary>What a sampler needs to know about a denoiser's configuration: latent shape, patch sizes, variance and cost.</summary>
public interface IDenoiserGeometry
{
    /// <summary>Latent side length.</summary>
    int InputSize { get; }
    /// <summary>Latent channels.</summary>
    int InChannels { get; }
    /// <summary>The original ("powerful") patch size.</summary>
    int PatchSize { get; }
    /// <summary>All patch sizes the model runs, original first.</summary>
    IReadOnlyList<int> AllPatchSizes { get; }
    /// <summary>Whether the output carries the learned variance after the ε channels.</summary>
    bool LearnSigma { get; }
    /// <summary>The reverse-step variance the model was trained for.</summary>
    VarianceKind Variance { get; }
    /// <summary>FLOPs (2 per multiply-add) of one forward of <paramref name="batch"/> images at <paramref name="patchSize"/>.</summary>
    long Flops(int patchSize, long batch = 1);
    /// <summary>
    /// The part of <see cref="Flops"/> that depends on the condition and the patch size only (PixArt: the caption's
    /// projection, keys and values; DiT: none), which a sampling run spends once per condition and patch size.
    /// </summary>
    long ConditionFlops(int patchSize, long batch = 1);
}
