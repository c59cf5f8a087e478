using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>
/// A diffusion model as the samplers see it: ε (and variance) prediction for a latent, a timestep and a
/// condition, at one of its patch sizes. DiT (class labels) and PixArt-α (captions) are both denoisers.
/// </summary>
public interface IDenoiser
{
    /// <summary>Shape, patch sizes, variance and cost.</summary>
    IDenoiserGeometry Geometry { get; }
    /// <summary>The device the weights live on.</summary>
    Device Device { get; }
    /// <summary>(N, C, H, W), t (N), condition of N → (N, C_out, H, W).</summary>
    Tensor Forward(Tensor x, Tensor t, ModelCondition condition, int patchSize);
    /// <summary>The unconditional counterpart of <paramref name="condition"/> for classifier-free guidance, or null if the model has none.</summary>
    ModelCondition? NullCondition(ModelCondition condition);
}
