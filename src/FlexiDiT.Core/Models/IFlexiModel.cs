using TorchSharp.Modules;

namespace FlexiDiT.Models;

/// <summary>What <see cref="Flexify"/> needs of a model to add a weak patch size (DiT and PixArt).</summary>
internal interface IFlexiModel
{
    /// <summary>Shape and patch sizes.</summary>
    IDenoiserGeometry Geometry { get; }
    /// <summary>Output channels of the de-embedding.</summary>
    int OutChannels { get; }
    /// <summary>The original patch embedding.</summary>
    Conv2d OriginalEmbedding { get; }
    /// <summary>The original de-embedding.</summary>
    Linear OriginalDeEmbedding { get; }
    /// <summary>Adds weak patch size <paramref name="patchSize"/> (zero-initialised) with LoRA adapters of <paramref name="loraRank"/>.</summary>
    FlexiPatch AddWeakPatchSize(int patchSize, int loraRank);
    /// <summary>Folds the LoRA adapters into per-patch-size weights for inference on frozen weights (<see cref="AdaptedLinear.MergeAdapters"/>).</summary>
    void MergeAdapters();
}
