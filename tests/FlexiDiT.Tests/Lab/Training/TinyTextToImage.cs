using FlexiDiT.Checkpoints;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Training;

/// <summary>A tiny text-to-image scenes checkpoint with random weights, for the conversion and evaluation tests.</summary>
internal static class TinyTextToImage
{
    public static TextToImageConfig Config =>
        TextToImageConfig.Scenes(SceneTokenizer.FromGrammar(24).VocabularySize, depth: 1, hidden: 32, heads: 2, captionWidth: 32, captionTokens: 24, encoderDepth: 1, encoderHeads: 2);

    /// <summary>
    /// Writes the checkpoint to <paramref name="path"/>. The official init zeroes the cross-attention and output layers
    /// (a constant model, which conversion could not improve on), so every weight is random instead;
    /// <paramref name="weakPatch"/> adds that weak patch size (Flexify's initialisation, LoRA rank 4).
    /// </summary>
    public static string Write(string path, int seed = 3, int? weakPatch = null)
    {
        using var model = new TextToImageModel(Config);
        var generator = new Generator((ulong)seed);
        using (torch.no_grad())
            foreach (var p in model.parameters()) p.copy_(torch.randn(p.shape, generator: generator) * 0.1);
        if (weakPatch is { } weak) Flexify.AddWeakPatchSize(model.Denoiser, weak, loraRank: 4);
        TextToImageCheckpoint.Save(model, path);
        return path;
    }
}
