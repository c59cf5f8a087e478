using FlexiDiT.Engine;
using FlexiDiT.Profiling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

// PixArt-α (PixArt-alpha/PixArt-alpha, diffusion/model/nets/PixArt.py and PixArt_blocks.py) with the official
// state-dict names, extended to FlexiDiT like DiT: a weak patch size adds its own embedding, de-embedding,
// size embedding and LoRA adapters; the original patch size runs exactly the original weights. The parts PixArt
// shares with DiT (patch embedding, timestep embedder, self-attention, MLP) are DiT.cs's classes.

/// <summary>Caption features → width D through a 2-layer MLP; holds the learned null caption (<c>CaptionEmbedder</c>).</summary>
public sealed class CaptionEmbedder : nn.Module
{
    // The caption does not depend on the patch size: no adapters, the base weights.
    private const int OriginalPatch = 0;

    // timm's Mlp in the official CaptionEmbedder, on the blocks' layers, so a frozen model multiplies it on the packed kernel too.
    private readonly Mlp y_proj;
    private readonly Tensor? y_embedding;

    /// <summary>Creates the embedder; <paramref name="nullTokens"/> 0 means the weights have no null caption (diffusers layout).</summary>
    public CaptionEmbedder(int captionChannels, int hidden, int nullTokens) : base("y_embedder")
    {
        y_proj = new Mlp(captionChannels, hidden, hidden, ForwardOp.Conditioning);
        if (nullTokens > 0) y_embedding = torch.zeros(nullTokens, captionChannels);
        RegisterComponents();
    }

    /// <summary>The learned null caption (L, C) in the text encoder's space, or null if the weights have none.</summary>
    public Tensor? NullCaption => y_embedding;

    internal IEnumerable<AdaptedLinear> Linears => y_proj.Linears;

    /// <summary>Projects caption features (N, L, C) → (N, L, D).</summary>
    public Tensor Forward(Tensor caption) => y_proj.Forward(caption, OriginalPatch);
}

/// <summary>
/// Multi-head cross-attention of image tokens to their caption's kept tokens (<c>MultiHeadCrossAttention</c>).
/// The official code flattens the batch into one sequence with a block-diagonal mask; attending per image over the
/// padded caption with an additive −∞ on dropped tokens computes the same softmax.
/// </summary>
public sealed class CrossAttention : nn.Module
{
    private readonly AdaptedLinear q_linear, kv_linear, proj;
    private readonly int heads;

    /// <summary>Creates the layer.</summary>
    public CrossAttention(int hidden, int heads) : base("cross_attn")
    {
        this.heads = heads;
        q_linear = new AdaptedLinear(hidden, hidden);
        kv_linear = new AdaptedLinear(hidden, hidden * 2);
        proj = new AdaptedLinear(hidden, hidden);
        RegisterComponents();
    }

    internal IEnumerable<AdaptedLinear> Linears => [q_linear, kv_linear, proj];

    /// <summary>x (N, T, D) attends to y (N, L, D); <paramref name="keyBias"/> (N, 1, 1, L) is 0 on kept tokens, −∞ on dropped ones.</summary>
    public Tensor Forward(Tensor x, Tensor y, Tensor keyBias, int patchSize)
    {
        using var timing = OpProfiler.Measure(ForwardOp.CrossAttention);
        return proj.Forward(Attend(x, KeysValues(y, patchSize), keyBias, null, patchSize), patchSize);
    }

    /// <summary>The caption's keys and values [k | v], (N, L, 2D): they depend on the caption and the patch size only (a forward books them as conditioning).</summary>
    internal Tensor KeysValues(Tensor y, int patchSize) => kv_linear.Forward(y, patchSize);

    /// <summary>
    /// x + cross-attention(x, caption), PixArt's un-gated residual update, from the caption's <see cref="KeysValues"/>; with
    /// <paramref name="inPlace"/> (only without autograd) written into x, and then fused into the projection where the
    /// packed kernel applies.
    /// </summary>
    /// <remarks><paramref name="keptPrefix"/>: each caption's kept length where every mask keeps a prefix (<see cref="KeyBias.KeptPrefix"/>), else null.</remarks>
    internal Tensor ForwardIntoResidual(Tensor x, Tensor keysValues, Tensor keyBias, IReadOnlyList<int>? keptPrefix, int patchSize, bool inPlace)
    {
        using var timing = OpProfiler.Measure(ForwardOp.CrossAttention);
        var attended = Attend(x, keysValues, keyBias, keptPrefix, patchSize);
        using var one = torch.ones(1, 1, x.shape[2], dtype: x.dtype, device: x.device);
        return proj.ForwardIntoResidual(attended, patchSize, x, one, inPlace);
    }

    // softmax(q kᵀ / √d + bias) v per head, heads merged back: (N, T, D).
    private Tensor Attend(Tensor x, Tensor keysValues, Tensor keyBias, IReadOnlyList<int>? keptPrefix, int patchSize)
    {
        long n = x.shape[0], tokens = x.shape[1], c = x.shape[2], length = keysValues.shape[1], headDim = c / heads;
        var queries = q_linear.Forward(x, patchSize);
        // Beside the packed kernel, over each caption's kept tokens only, with the heads split and merged by addressing.
        if (keptPrefix is not null && CpuLinear.CanUsePacked(queries) && PackedAttention.CanAttendCaption(queries, keysValues, heads))
            return PackedAttention.AttendCaption(queries, keysValues, keptPrefix, heads, CpuLinear.ProductThreads);
        var q = queries.view(n, tokens, heads, headDim).transpose(1, 2);
        // kv_linear's outputs are [k | v], each split into heads (view(..., 2, heads, head_dim) in the official code).
        var kv = keysValues.view(n, length, 2, heads, headDim).permute(2, 0, 3, 1, 4);
        var attended = F.scaled_dot_product_attention(q, kv[0], kv[1], keyBias);
        return attended.transpose(1, 2).reshape(n, tokens, c);
    }
}

/// <summary>A PixArt block: adaLN-single modulated self-attention, un-gated cross-attention, modulated MLP.</summary>
public sealed class PixArtBlock : nn.Module
{
    private readonly Attention attn;
    private readonly CrossAttention cross_attn;
    private readonly Mlp mlp;
    private readonly Parameter scale_shift_table;

    /// <summary>Creates the block.</summary>
    public PixArtBlock(int hidden, int heads, int mlpHidden) : base("block")
    {
        attn = new Attention(hidden, heads);
        cross_attn = new CrossAttention(hidden, heads);
        mlp = new Mlp(hidden, mlpHidden);
        scale_shift_table = nn.Parameter(torch.zeros(6, hidden));
        RegisterComponents();
    }

    internal IEnumerable<AdaptedLinear> Linears => attn.Linears.Concat(cross_attn.Linears).Concat(mlp.Linears);

    internal CrossAttention CrossAttention => cross_attn;

    /// <summary>The block on tokens x (N, T, D) with caption y (N, L, D) and the shared modulation t0 (N, 6D).</summary>
    public Tensor Forward(Tensor x, Tensor y, Tensor keyBias, Tensor t0, int patchSize) =>
        Forward(x, cross_attn.KeysValues(y, patchSize), keyBias, t0, patchSize, inPlace: false);

    /// <summary>
    /// The block with the caption's cross-attention <paramref name="keysValues"/> (<see cref="CrossAttention.KeysValues"/>);
    /// with <paramref name="inPlace"/> the residual updates are written into <paramref name="x"/> (only without autograd,
    /// where nothing saved x for a backward), on DiT's fused path: norm and modulation in one pass, each update added into
    /// the residual stream by its projection.
    /// </summary>
    internal Tensor Forward(Tensor x, Tensor keysValues, Tensor keyBias, Tensor t0, int patchSize, bool inPlace, IReadOnlyList<int>? keptPrefix = null)
    {
        // (scale_shift_table[None] + t0.reshape(N, 6, D)).chunk(6, dim=1): each (N, 1, D).
        Tensor[] m;
        using (OpProfiler.Measure(ForwardOp.AdaLnModulation)) m = (scale_shift_table.unsqueeze(0) + t0.view(t0.shape[0], 6, -1)).chunk(6, dim: 1);
        x = attn.ForwardIntoResidual(AdaLN.NormModulate(x, m[0], m[1], inPlace), patchSize, x, m[2], inPlace);
        x = cross_attn.ForwardIntoResidual(x, keysValues, keyBias, keptPrefix, patchSize, inPlace);
        return mlp.ForwardIntoResidual(AdaLN.NormModulate(x, m[3], m[4], inPlace), patchSize, x, m[5], inPlace);
    }
}

/// <summary>The last layer: modulated by t itself plus its own table (shift first), then the de-embedding (<c>T2IFinalLayer</c>).</summary>
public sealed class T2IFinalLayer : nn.Module
{
    private readonly Linear linear;
    private readonly Parameter scale_shift_table;

    /// <summary>Creates the layer.</summary>
    public T2IFinalLayer(int hidden, int patch, int outChannels) : base("final_layer")
    {
        linear = nn.Linear(hidden, patch * patch * outChannels);
        scale_shift_table = nn.Parameter(torch.zeros(2, hidden));
        RegisterComponents();
    }

    /// <summary>The de-embedding of the original patch size.</summary>
    public Linear Linear => linear;

    /// <summary>modulate(norm(x)) → de-embedding (the original one, or a weak patch size's).</summary>
    public Tensor Forward(Tensor x, Tensor t, Linear deEmbedding)
    {
        var m = (scale_shift_table.unsqueeze(0) + t.unsqueeze(1)).chunk(2, dim: 1);
        var modulated = AdaLN.NormModulate(x, m[0], m[1], inPlace: !torch.is_grad_enabled());
        using var timing = OpProfiler.Measure(ForwardOp.FinalLinear);
        return deEmbedding.forward(modulated);
    }
}

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

    /// <summary>Folds every block's LoRA adapters into weights of their own: for inference on frozen weights (see <see cref="AdaptedLinear.MergeAdapters"/>).</summary>
    public void MergeAdapters()
    {
        foreach (var linear in FrozenLinears) linear.MergeAdapters();
    }

    /// <summary>Bytes held by <see cref="MergeAdapters"/>'s copies beside the parameters (merged and packed weights).</summary>
    public long InferenceCopyBytes => FrozenLinears.Sum(l => l.InferenceCopyBytes);

    // The layers MergeAdapters freezes: every block's, and the caption projection's (packed, no adapters).
    private IEnumerable<AdaptedLinear> FrozenLinears => blocks.SelectMany(b => b.Linears).Concat(y_embedder.Linears);

    /// <summary>
    /// The official <c>forward(x, timestep, y, mask)</c>: x (N, C, H, W), t (N), caption features y (N, L, C_caption)
    /// and mask (N', L) with N a multiple of N' (tiled like the official code; null keeps every token) → (N, C_out, H, W).
    /// </summary>
    public Tensor Forward(Tensor x, Tensor t, Tensor y, Tensor? mask = null, int? patchSize = null) => Forward(x, t, y, mask, patchSize, cacheOwner: null);

    // The forward; cacheOwner: the condition y and mask came from, whose sampling run keeps the caption's keys and values.
    private Tensor Forward(Tensor x, Tensor t, Tensor y, Tensor? mask, int? patchSize, CaptionCondition? cacheOwner)
    {
        // One scope per forward: the intermediates of 28 blocks are freed here, not at the caller's step end.
        using var scope = torch.NewDisposeScope();
        int p = patchSize ?? Config.PatchSize;
        if (x.dim() != 4 || x.shape[1] != Config.InChannels || x.shape[2] != Config.InputSize || x.shape[3] != Config.InputSize)
            throw new ArgumentException($"PixArt input must be (N, {Config.InChannels}, {Config.InputSize}, {Config.InputSize}); got [{string.Join(", ", x.shape)}].", nameof(x));
        if (y.dim() == 4) y = y.squeeze(1); // the official (N, 1, L, C)
        if (y.dim() != 3 || y.shape[0] != x.shape[0] || y.shape[2] != Config.CaptionChannels)
            throw new ArgumentException($"Caption features must be ({x.shape[0]}, L, {Config.CaptionChannels}); got [{string.Join(", ", y.shape)}].", nameof(y));
        // A model converted to bfloat16 takes and returns the caller's type (float32 caption features from the text
        // encoder, float32 sampler arithmetic), as DiT does.
        var callerType = x.dtype;
        var modelType = ((Linear)t_block[1]).weight!.dtype;
        var callerCaption = y;
        if (x.dtype != modelType) x = x.to(modelType);
        if (y.dtype != modelType) y = y.to(modelType);
        Tensor tokens;
        Linear deEmbedding;
        using (OpProfiler.Measure(ForwardOp.PatchEmbed))
        {
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
        }
        Tensor tEmbedding, keyBias, t0;
        Tensor[] keysValues;
        using (OpProfiler.Measure(ForwardOp.Conditioning))
        {
            tEmbedding = t_embedder.Forward(t);
            keysValues = CaptionKeysValues(y, p, cacheOwner);
            keyBias = CaptionKeyBias(mask, y.shape[0], y.shape[1], x.device, modelType);
            // The pooled caption is averaged in the caller's precision: a bfloat16 sum over up to 120 tokens would lose digits.
            if (y_pool_embedder is not null) tEmbedding = tEmbedding + y_pool_embedder.forward(MaskedMean(callerCaption, keyBias).to(modelType));
        }
        using (OpProfiler.Measure(ForwardOp.AdaLnModulation)) t0 = AdaLN.ConditionLinear(F.silu(tEmbedding), (Linear)t_block[1]);
        // Without autograd the residual stream is updated in place, as in DiT (tokens is this forward's own tensor, made
        // contiguous for the packed kernel's row writes).
        bool inPlace = !torch.is_grad_enabled();
        if (inPlace) tokens = tokens.contiguous();
        var keptPrefix = inPlace && CpuLinear.CanUsePacked(tokens) ? KeyBias.KeptPrefix(keyBias) : null;
        for (int i = 0; i < blocks.Count; i++) tokens = blocks[i].Forward(tokens, keysValues[i], keyBias, t0, p, inPlace, keptPrefix);
        var final = final_layer.Forward(tokens, tEmbedding, deEmbedding);
        Tensor output;
        using (OpProfiler.Measure(ForwardOp.Unpatchify)) output = DiT.Unpatchify(final, p, Config.OutChannels);
        return (output.dtype == callerType ? output : output.to(callerType)).MoveToOuterDisposeScope();
    }

    /// <inheritdoc />
    public Tensor Forward(Tensor x, Tensor t, ModelCondition condition, int patchSize)
    {
        var caption = ModelCondition.As<CaptionCondition>(condition);
        return Forward(x, t, caption.Features, caption.Mask, patchSize, caption);
    }

    // Every block's cross-attention keys and values for caption features y (N, L, C) in the model's type. Without autograd
    // each caption whose sampling run keeps a cache computes them once per patch size; a batch of several runs' captions
    // is put together from each one's, kept or computed now (a run that joins a batch computes only its own).
    private Tensor[] CaptionKeysValues(Tensor y, int patchSize, CaptionCondition? condition)
    {
        if (condition is null || torch.is_grad_enabled()) return ComputeKeysValues(y, patchSize);
        var owners = condition.Parts ?? [condition];
        if (owners.Count == 1) return KeptKeysValues(owners[0], y, patchSize);
        var perOwner = new List<Tensor[]>();
        long row = 0, length = y.shape[1];
        foreach (var owner in owners)
        {
            perOwner.Add(KeptKeysValues(owner, y.narrow(0, row, owner.Count).narrow(1, 0, owner.Features.shape[1]), patchSize));
            row += owner.Count;
        }

        // Captions shorter than the batch's are padded with masked tokens, whose keys and values are never weighed.
        Tensor Padded(Tensor kv) => kv.shape[1] == length ? kv : F.pad(kv, [0, 0, 0, length - kv.shape[1]]);
        return Enumerable.Range(0, blocks.Count).Select(i => torch.cat(perOwner.Select(kv => Padded(kv[i])).ToArray(), 0)).ToArray();
    }

    // One caption's keys and values, (n, its own L, 2D) per block: from its cache, else computed (and cached if it keeps one).
    private Tensor[] KeptKeysValues(CaptionCondition owner, Tensor y, int patchSize)
    {
        if (owner.Cache?.Find(this, patchSize, y.dtype) is { } kept) return kept;
        var computed = ComputeKeysValues(y, patchSize);
        owner.Cache?.Add(this, patchSize, y.dtype, computed);
        return computed;
    }

    private Tensor[] ComputeKeysValues(Tensor y, int patchSize)
    {
        var caption = y_embedder.Forward(y);
        return blocks.Select(b => b.CrossAttention.KeysValues(caption, patchSize)).ToArray();
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
    private static Tensor CaptionKeyBias(Tensor? mask, long batch, long length, Device device, ScalarType dtype)
    {
        if (mask is null) return torch.zeros(batch, 1, 1, length, dtype: dtype, device: device);
        if (mask.dim() != 2 || mask.shape[1] != length || batch % mask.shape[0] != 0)
            throw new ArgumentException($"Caption mask must be (N', {length}) with N' dividing {batch}; got [{string.Join(", ", mask.shape)}].", nameof(mask));
        var keep = mask.ne(0).to(device);
        if (keep.any(1).logical_not().any().item<bool>())
            throw new ArgumentException("Every caption must keep at least one token (a mask row is all zero).", nameof(mask));
        if (mask.shape[0] != batch) keep = keep.repeat(batch / mask.shape[0], 1); // mask.repeat(N // N', 1) as the official code
        return KeyBias.FromKeep(keep, dtype);
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
