using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>
/// What a model computes from a caption alone, kept by the caption's sampling run for its other steps: PixArt's keys and
/// values of every block's cross-attention, which depend on the caption and the patch size (weak sizes have their own
/// adapters) but not on the latent or the timestep. One entry per model, patch size and type; disposed with the caption.
/// Valid while the model's weights stay as they are, which holds within a run (inference, frozen weights).
/// </summary>
internal sealed class CaptionCache : IDisposable
{
    private readonly Dictionary<(nn.Module Model, int PatchSize, ScalarType Type), Tensor[]> entries = [];

    /// <summary>Gets the number of entries kept.</summary>
    public int Count => entries.Count;

    /// <summary>The tensors kept for <paramref name="model"/> at <paramref name="patchSize"/> in <paramref name="type"/>, or null.</summary>
    public Tensor[]? Find(nn.Module model, int patchSize, ScalarType type) => entries.GetValueOrDefault((model, patchSize, type));

    /// <summary>Keeps <paramref name="tensors"/> (taken out of the current dispose scope: the cache owns them from now on).</summary>
    public void Add(nn.Module model, int patchSize, ScalarType type, Tensor[] tensors)
    {
        foreach (var tensor in tensors) tensor.DetachFromDisposeScope();
        entries.Add((model, patchSize, type), tensors);
    }

    /// <summary>Frees the entries of <paramref name="patchSize"/>, whatever their model and type.</summary>
    public void Release(int patchSize)
    {
        foreach (var key in entries.Keys.Where(k => k.PatchSize == patchSize).ToList())
        {
            foreach (var tensor in entries[key]) tensor.Dispose();
            entries.Remove(key);
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (var tensor in entries.Values.SelectMany(t => t)) tensor.Dispose();
        entries.Clear();
    }
}
