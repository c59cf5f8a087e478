using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

/// <summary>
/// Turns a DiT into a FlexiDiT by adding a weak patch size p' (FlexiViT's PI-resize). For a p×p patch x
/// and its bilinear upsample Bx, the new embedding w' satisfies ⟨Bx, w'⟩ = ⟨x, w⟩ for all x, i.e.
/// w' = pinv(Bᵀ)·w. The de-embedding maps a token to B·(its original p×p output), the bilinear upsample
/// of what the original patch size would have produced. The original patch size is untouched.
/// </summary>
public static class Flexify
{
    /// <summary>Adds weak patch size <paramref name="weakPatch"/> to <paramref name="model"/>, initialised from its original weights.</summary>
    public static void AddWeakPatchSize(DiT model, int weakPatch, int loraRank) => AddWeakPatchSize((IFlexiModel)model, weakPatch, loraRank);

    /// <summary>
    /// Adds weak patch size <paramref name="weakPatch"/> to a PixArt-α model, initialised from its original weights;
    /// its LoRA adapters cover self-attention, cross-attention and the MLP of every block.
    /// </summary>
    public static void AddWeakPatchSize(PixArt model, int weakPatch, int loraRank) => AddWeakPatchSize((IFlexiModel)model, weakPatch, loraRank);

    private static void AddWeakPatchSize(IFlexiModel model, int weakPatch, int loraRank)
    {
        var config = model.Geometry;
        if (config.AllPatchSizes.Contains(weakPatch))
            throw new ArgumentException($"The model already runs patch size {weakPatch}.", nameof(weakPatch));
        if (weakPatch <= config.PatchSize || config.InputSize % weakPatch != 0)
            throw new ArgumentException($"Weak patch size {weakPatch} must be larger than {config.PatchSize} and divide the input size {config.InputSize}.", nameof(weakPatch));
        var parts = model.AddWeakPatchSize(weakPatch, loraRank);
        using var _ = torch.no_grad();
        var b = BilinearResizeMatrix(config.PatchSize, weakPatch).to(model.OriginalEmbedding.weight!.device);
        parts.Embedder.Proj.weight!.copy_(ResizeEmbedding(model.OriginalEmbedding.weight!, b));
        parts.Embedder.Proj.bias!.copy_(model.OriginalEmbedding.bias!);
        var (w, bias) = ResizeDeEmbedding(model.OriginalDeEmbedding.weight!, model.OriginalDeEmbedding.bias!, b, model.OutChannels);
        parts.DeEmbedding.weight!.copy_(w);
        parts.DeEmbedding.bias!.copy_(bias);
        parts.SizeEmbedding.zero_();
    }

    /// <summary>
    /// B, the (p'²×p²) matrix of bilinear upsampling from p×p to p'×p' (half-pixel centres, as
    /// <c>F.interpolate(mode="bilinear", align_corners=False)</c>), built by resizing each basis patch.
    /// </summary>
    public static Tensor BilinearResizeMatrix(int from, int to)
    {
        using var basis = torch.eye(from * from).view(from * from, 1, from, from);
        using var resized = F.interpolate(basis, size: [to, to], mode: InterpolationMode.Bilinear, align_corners: false);
        return resized.reshape(from * from, to * to).t().contiguous();
    }

    /// <summary>Embedding weight (D, C, p, p) → (D, C, p', p') by w' = pinv(Bᵀ) w for every (D, C).</summary>
    public static Tensor ResizeEmbedding(Tensor weight, Tensor b)
    {
        long d = weight.shape[0], c = weight.shape[1];
        int to = (int)Math.Round(Math.Sqrt(b.shape[0]));
        using var pinvB = torch.linalg.pinv(b.to(float64)).to(float32); // (p², p'²) = pinv(Bᵀ)ᵀ
        return torch.matmul(weight.reshape(d * c, -1), pinvB).reshape(d, c, to, to);
    }

    /// <summary>De-embedding (p²·C, D) → (p'²·C, D): each channel's p×p output becomes its bilinear upsample.</summary>
    public static (Tensor Weight, Tensor Bias) ResizeDeEmbedding(Tensor weight, Tensor bias, Tensor b, int channels)
    {
        long d = weight.shape[1], fromSq = b.shape[1], toSq = b.shape[0];
        var w = torch.matmul(b, weight.reshape(fromSq, channels * d)).reshape(toSq * channels, d);
        var bb = torch.matmul(b, bias.reshape(fromSq, channels)).reshape(toSq * channels);
        return (w, bb);
    }
}
