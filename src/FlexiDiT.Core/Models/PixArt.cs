using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

// PixArt-α (PixArt-alpha/PixArt-alpha, diffusion/model/nets/PixArt.py and PixArt_blocks.py) with the official
// state-dict names, extended to FlexiDiT like DiT: a weak patch size adds its own embedding, de-embedding,
// size embedding and LoRA adapters; the original patch size runs exactly the original weights. The parts PixArt
// shares with DiT (patch embedding, timestep embedder, self-attention, MLP) are DiT's classes.

/// <summary>
/// PixArt-α, the text-to-image Diffusion Transformer, runnable at its original patch size and at every weak patch
/// size of <see cref="PixArtConfig.FlexiPatchSizes"/>. The position table is recomputed (as the official scripts do),
/// not loaded.
/// </summary>
public sealed class PixArt : nn.Module, IDenoiser, IFlexiModel
{
    private readonly PatchEmbed x_embedder;
    private readonly TimestepEmbedder t_embedder;
    private readonly Sequential t_block;
    private readonly CaptionEmbedder y_embedder;
    private readonly Sequential? y_pool_embedder;
    private readonly ModuleList<PixArtBlock> blocks = new();
    private readonly T2IFinalLayer final_layer;
    private readonly ModuleGroup<FlexiPatch> flexi = new("flexi");
    private readonly Dictionary<int, Tensor> positions = new();

    /// <summary>Creates a model (load weights before use); <paramref name="hasNullCaption"/> false for weights without <c>y_embedding</c>.</summary>
    public PixArt(PixArtConfig config, bool hasNullCaption = true) : base("PixArt")
    {
        config.Validate();
        Config = config;
        int d = config.HiddenSize;
        x_embedder = new PatchEmbed(config.InChannels, d, config.PatchSize);
        t_embedder = new TimestepEmbedder(d);
        t_block = nn.Sequential(("0", nn.SiLU()), ("1", nn.Linear(d, 6 * d)));
        y_embedder = new CaptionEmbedder(config.CaptionChannels, d, hasNullCaption ? config.ModelMaxLength : 0);
        if (config.PooledCaption)
            y_pool_embedder = nn.Sequential(("fc1", nn.Linear(config.CaptionChannels, d)), ("act", nn.SiLU()), ("fc2", nn.Linear(d, d)));
        for (int i = 0; i < config.Depth; i++) blocks.Add(new PixArtBlock(d, config.NumHeads, config.MlpHidden));
        final_layer = new T2IFinalLayer(d, config.PatchSize, config.OutChannels);
        foreach (int p in config.FlexiPatchSizes) AddWeakParts(p);
        RegisterComponents();
    }

    /// <summary>The configuration (including its weak patch sizes).</summary>
    public PixArtConfig Config { get; private set; }

    /// <summary>The learned null caption (L, C), or null when the weights had none (diffusers files).</summary>
    public Tensor? NullCaption => y_embedder.NullCaption;

    /// <inheritdoc />
    public IDenoiserGeometry Geometry => Config;

    /// <inheritdoc />
    public Device Device => x_embedder.Proj.weight!.device;

    Conv2d IFlexiModel.OriginalEmbedding => x_embedder.Proj;
    Linear IFlexiModel.OriginalDeEmbedding => final_layer.Linear;
    int IFlexiModel.OutChannels => Config.OutChannels;

    /// <summary>The parts a weak patch size adds.</summary>
    public FlexiPatch WeakParts(int patchSize) =>
        flexi.TryGet(patchSize, out var parts) ? parts : throw new ArgumentException($"The model has no patch size {patchSize}; it has {string.Join(", ", Config.AllPatchSizes)}.", nameof(patchSize));

    /// <summary>The parameters that belong to weak patch sizes only (what conversion fine-tunes).</summary>
    public IEnumerable<Parameter> WeakParameters() =>
        named_parameters().Where(p => p.name.StartsWith("flexi.", StringComparison.Ordinal) || p.name.Contains(".lora.", StringComparison.Ordinal)).Select(p => p.parameter);

    FlexiPatch IFlexiModel.AddWeakPatchSize(int patchSize, int loraRank)
    {
        Config = Config with { FlexiPatchSizes = [.. Config.FlexiPatchSizes, patchSize], FlexiLoraRank = loraRank };
        Config.Validate();
        var device = Device;
        var parts = AddWeakParts(patchSize);
        this.to(device);
        return parts;
    }

    private FlexiPatch AddWeakParts(int patchSize)
    {
        var parts = new FlexiPatch(Config.InChannels, Config.HiddenSize, patchSize, Config.OutChannels);
        flexi.Add(patchSize, parts);
        if (Config.FlexiLoraRank > 0)
            foreach (var linear in blocks.SelectMany(b => b.Linears)) linear.AddAdapter(patchSize, Config.FlexiLoraRank);
        return parts;
    }

    /// <summary>
    /// The official <c>forward(x, timestep, y, mask)</c>: x (N, C, H, W), t (N), caption features y (N, L, C_caption)
    /// and mask (N', L) with N a multiple of N' (tiled like the official code; null keeps every token) → (N, C_out, H, W).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor t, Tensor y, Tensor? mask = null, int? patchSize = null)
    {
        int p = patchSize ?? Config.PatchSize;
        if (x.dim() != 4 || x.shape[1] != Config.InChannels || x.shape[2] != Config.InputSize || x.shape[3] != Config.InputSize)
            throw new ArgumentException($"PixArt input must be (N, {Config.InChannels}, {Config.InputSize}, {Config.InputSize}); got [{string.Join(", ", x.shape)}].", nameof(x));
        if (y.dim() == 4) y = y.squeeze(1); // the official (N, 1, L, C)
        if (y.dim() != 3 || y.shape[0] != x.shape[0] || y.shape[2] != Config.CaptionChannels)
            throw new ArgumentException($"Caption features must be ({x.shape[0]}, L, {Config.CaptionChannels}); got [{string.Join(", ", y.shape)}].", nameof(y));
        Tensor tokens;
        Linear deEmbedding;
        if (p == Config.PatchSize)
        {
            tokens = x_embedder.Forward(x) + Positions(p, x.device, x.dtype);
            deEmbedding = final_layer.Linear;
        }
        else
        {
            var parts = WeakParts(p);
            tokens = parts.Embedder.Forward(x) + Positions(p, x.device, x.dtype) + parts.SizeEmbedding;
            deEmbedding = parts.DeEmbedding;
        }
        var tEmbedding = t_embedder.Forward(t);
        var caption = y_embedder.Forward(y);
        var keyBias = KeyBias(mask, y.shape[0], y.shape[1], x.device, caption.dtype);
        if (y_pool_embedder is not null) tEmbedding = tEmbedding + y_pool_embedder.forward(MaskedMean(y, keyBias));
        var t0 = AdaLN.ConditionLinear(F.silu(tEmbedding), (Linear)t_block[1]);
        foreach (var block in blocks) tokens = block.Forward(tokens, caption, keyBias, t0, p);
        return DiT.Unpatchify(final_layer.Forward(tokens, tEmbedding, deEmbedding), p, Config.OutChannels);
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor x, Tensor t, ModelCondition condition, int patchSize)
    {
        var caption = ModelCondition.As<CaptionCondition>(condition);
        return Forward(x, t, caption.Features, caption.Mask, patchSize);
    }

    /// <summary>
    /// The guidance condition: the caption's negative prompt if it has one (diffusers' pipeline encodes ""), else the
    /// learned null caption for every row, masked with that row's mask (as the official <c>forward_with_cfg</c>).
    /// </summary>
    public ModelCondition? NullCondition(ModelCondition condition)
    {
        var caption = ModelCondition.As<CaptionCondition>(condition);
        if (caption.Negative is not null) return caption.Negative;
        if (NullCaption is null) return null;
        if (caption.Features.shape[1] != NullCaption.shape[0])
            throw new ArgumentException($"Captions have {caption.Features.shape[1]} tokens but the null caption has {NullCaption.shape[0]} (model_max_length); encode prompts to that length.", nameof(condition));
        var features = NullCaption.unsqueeze(0).expand(caption.Count, -1, -1).to(caption.Features.dtype, caption.Features.device);
        return new CaptionCondition(features, caption.Mask);
    }

    // The mean of the kept tokens' features: (N, L, C) with the key bias (N, 1, 1, L) → (N, C).
    private static Tensor MaskedMean(Tensor y, Tensor keyBias)
    {
        var keep = keyBias.view(y.shape[0], y.shape[1], 1).isfinite().to(y.dtype);
        return (y * keep).sum(1) / keep.sum(1);
    }

    // The block-diagonal mask of the official code as an additive bias per image: 0 on kept tokens, −∞ on dropped.
    private static Tensor KeyBias(Tensor? mask, long batch, long length, Device device, ScalarType dtype)
    {
        if (mask is null) return torch.zeros(batch, 1, 1, length, dtype: dtype, device: device);
        if (mask.dim() != 2 || mask.shape[1] != length || batch % mask.shape[0] != 0)
            throw new ArgumentException($"Caption mask must be (N', {length}) with N' dividing {batch}; got [{string.Join(", ", mask.shape)}].", nameof(mask));
        var keep = mask.ne(0).to(device);
        if (keep.any(1).logical_not().any().item<bool>())
            throw new ArgumentException("Every caption must keep at least one token (a mask row is all zero).", nameof(mask));
        if (mask.shape[0] != batch) keep = keep.repeat(batch / mask.shape[0], 1); // mask.repeat(N // N', 1) as the official code
        return torch.zeros(batch, length, dtype: dtype, device: device).masked_fill(keep.logical_not(), double.NegativeInfinity).view(batch, 1, 1, length);
    }

    private Tensor Positions(int patchSize, Device device, ScalarType dtype)
    {
        if (!positions.TryGetValue(patchSize, out var table) || table.device_type != device.type || table.device_index != device.index || table.dtype != dtype)
        {
            int originalGrid = Config.InputSize / Config.PatchSize;
            table = PositionEmbedding.PixArt(Config.HiddenSize, Config.InputSize / patchSize, originalGrid, Config.BaseSize, Config.LeweiScale, (double)patchSize / Config.PatchSize)
                .unsqueeze(0).to(dtype, device);
            // The cache outlives the caller's dispose scope (samplers open one per step).
            table.DetachFromDisposeScope();
            if (positions.TryGetValue(patchSize, out var stale)) stale.Dispose();
            positions[patchSize] = table;
        }
        return table;
    }

    /// <summary>The position table at the original patch size, as the official code computes it (for checks).</summary>
    public Tensor PositionTable() => Positions(Config.PatchSize, CPU, ScalarType.Float32);
}
