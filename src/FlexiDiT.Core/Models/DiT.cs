using FlexiDiT.Engine;
using FlexiDiT.Profiling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

// The Diffusion Transformer of Peebles & Xie (facebookresearch/DiT, models.py), with the official
// state-dict names, extended to FlexiDiT: every weak patch size p' adds its own patch embedding,
// de-embedding, patch-size embedding and (optionally) LoRA adapters, while the original patch size
// runs exactly the original weights. Each class below mirrors one class of models.py.

/// <summary>x * (1 + scale) + shift, broadcast over tokens (models.py <c>modulate</c>); shift and scale are (N, D) or (N, 1, D).</summary>
internal static class AdaLN
{
    public static Tensor Modulate(Tensor x, Tensor shift, Tensor scale)
    {
        using var timing = OpProfiler.Measure(ForwardOp.Modulate);
        return shift.dim() == 2 ? torch.addcmul(shift.unsqueeze(1), x, scale.unsqueeze(1) + RootedScalars.One, RootedScalars.One) : torch.addcmul(shift, x, scale + RootedScalars.One, RootedScalars.One);
    }

    /// <summary>
    /// <paramref name="layer"/> applied to a few condition vectors (N, D_in) → (N, D_out), computed as (W cᵀ + b)ᵀ. The same
    /// product as c·Wᵀ + b, but MKL (libtorch's BLAS) takes a slow path for that form when c has few rows, at least on AMD
    /// CPUs: twelve DiT-S adaLN products (2 rows, 384 → 2304, distinct weights, 2 threads) took 19–41 ms as c·Wᵀ, 1.3 ms as W·cᵀ.
    /// </summary>
    public static Tensor ConditionLinear(Tensor c, Linear layer)
    {
        var product = layer.bias is { } bias ? torch.addmm(bias.unsqueeze(1), layer.weight!, c.t(), 1, 1) : torch.mm(layer.weight!, c.t());
        return product.t().contiguous();
    }

    /// <summary>
    /// modulate(norm(x), shift, scale). With <paramref name="inPlace"/> (only without autograd) the norm's own output is
    /// modulated in place, as normed + normed·scale + shift: no allocation beyond the norm's.
    /// </summary>
    public static Tensor NormModulate(Tensor x, Tensor shift, Tensor scale, bool inPlace)
    {
        // Beside the packed kernel (frozen float32 inference on the CPU), norm and modulation are one pass.
        if (inPlace && CpuLinear.CanUsePacked(x) && FusedNormModulate.Suits(x))
        {
            using var fused = OpProfiler.Measure(ForwardOp.Norm);
            return FusedNormModulate.Apply(x, shift, scale, 1e-6, CpuLinear.ProductThreads);
        }
        var normed = Norm(x);
        if (!inPlace) return Modulate(normed, shift, scale);
        using var timing = OpProfiler.Measure(ForwardOp.Modulate);
        return shift.dim() == 2 ? normed.addcmul_(normed, scale.unsqueeze(1), RootedScalars.One).add_(shift.unsqueeze(1)) : normed.addcmul_(normed, scale, RootedScalars.One).add_(shift);
    }

    public static Tensor Norm(Tensor x)
    {
        using var timing = OpProfiler.Measure(ForwardOp.Norm);
        return F.layer_norm(x, [x.shape[^1]], null, null, 1e-6);
    }
}

/// <summary>A low-rank update W + B·A (no alpha/r scaling: the rank is fixed per model, so the learning rate absorbs it), active for one weak patch size.</summary>
public sealed class LoraAdapter : nn.Module
{
    private readonly Parameter A;
    private readonly Parameter B;

    /// <summary>Creates an adapter whose update is zero until trained (B starts at zero).</summary>
    public LoraAdapter(long inFeatures, long outFeatures, int rank) : base("lora")
    {
        A = nn.Parameter(torch.randn(rank, inFeatures) / Math.Sqrt(inFeatures));
        B = nn.Parameter(torch.zeros(outFeatures, rank));
        RegisterComponents();
    }

    /// <summary>The adapter's contribution for input x.</summary>
    public Tensor Delta(Tensor x) => F.linear(F.linear(x, A), B);

    /// <summary>The update as one matrix, B·A (out × in).</summary>
    public Tensor Update() => B.mm(A);
}

/// <summary>nn.Linear with the official parameter names and optional per-patch-size LoRA adapters.</summary>
public sealed class AdaptedLinear : nn.Module
{
    // Key of the base weight in the packed cache (patch sizes are positive).
    private const int BaseWeight = 0;

    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly ModuleGroup<LoraAdapter> lora = new("lora");
    // W + B·A per patch size, for frozen inference (MergeAdapters); not module state, so never saved.
    private readonly Dictionary<int, Tensor> merged = new();
    // The weights packed for the CPU kernel, by patch size (BaseWeight for W itself), also made by MergeAdapters.
    private readonly Dictionary<int, PackedWeight> packed = new();
    private bool frozen;

    /// <summary>Creates the layer with PyTorch's default initialisation.</summary>
    public AdaptedLinear(long inFeatures, long outFeatures) : base("linear")
    {
        using var reference = nn.Linear(inFeatures, outFeatures);
        weight = nn.Parameter(reference.weight!.detach().clone());
        bias = nn.Parameter(reference.bias!.detach().clone());
        RegisterComponents();
    }

    /// <summary>The base weight (out × in).</summary>
    public Parameter Weight => weight;
    /// <summary>The base bias.</summary>
    public Parameter Bias => bias;

    /// <summary>Adds a LoRA adapter used when the model runs at <paramref name="patchSize"/>.</summary>
    public void AddAdapter(int patchSize, int rank) => lora.Add(patchSize, new LoraAdapter(weight.shape[1], weight.shape[0], rank));

    /// <summary>y = act(x Wᵀ + b), with the adapter of the active patch size if there is one.</summary>
    public Tensor Forward(Tensor x, int patchSize, GemmActivation activation = GemmActivation.None)
    {
        if (PackedFor(x, patchSize) is { } packedWeight) return CpuLinear.Linear(x, packedWeight, activation);

        Tensor y;
        if (merged.TryGetValue(patchSize, out var w) && w.dtype == weight.dtype && w.device_type == weight.device_type && w.device_index == weight.device_index)
        {
            y = CpuLinear.Linear(x, w, bias);
        }
        else
        {
            y = CpuLinear.Linear(x, weight, bias);
            if (lora.TryGet(patchSize, out var adapter)) y = y.add_(adapter.Delta(x));
        }
        if (activation == GemmActivation.None) return y;
        // Without autograd GELU overwrites the product: one large allocation (and its page faults) less.
        using (OpProfiler.Measure(ForwardOp.Gelu)) return torch.is_grad_enabled() ? F.gelu(y, GELU.Approximate.tanh) : y.gelu_(GELU.Approximate.tanh);
    }

    /// <summary>
    /// residual + gate ⊙ (x Wᵀ + b), DiT's gated residual update; with <paramref name="inPlace"/> (only without autograd)
    /// written into <paramref name="residual"/>, and then fused into the product where the packed kernel applies.
    /// </summary>
    public Tensor ForwardIntoResidual(Tensor x, int patchSize, Tensor residual, Tensor gate, bool inPlace)
    {
        if (inPlace && residual.is_contiguous() && PackedFor(x, patchSize) is { } packedWeight) return CpuLinear.LinearIntoResidual(x, packedWeight, residual, gate);
        var update = Forward(x, patchSize);
        using var timing = OpProfiler.Measure(ForwardOp.GateResidual);
        return inPlace ? residual.addcmul_(gate, update, RootedScalars.One) : torch.addcmul(residual, gate, update, RootedScalars.One);
    }

    // The packed weight of the active patch size, where the packed kernel applies to x now (only while the live weight is
    // float32 on the CPU: a cast or move of the model releases the packed copies, FollowParameters).
    private PackedWeight? PackedFor(Tensor x, int patchSize) =>
        weight.dtype == ScalarType.Float32 && weight.device_type == DeviceType.CPU && CpuLinear.CanUsePacked(x)
        && packed.TryGetValue(lora.TryGet(patchSize, out _) ? patchSize : BaseWeight, out var packedWeight) ? packedWeight : null;

    /// <summary>
    /// Freezes the layer for inference: folds every adapter into a weight of its own, W + B·A, so a weak patch size costs
    /// one product per layer instead of three products and an add, and, where the CPU kernel is in use
    /// (<see cref="CpuLinear.UsesPackedWeights"/>), packs each weight for it. For inference on frozen weights only (a later
    /// change of W, A or B is not seen). Costs one more copy of W per weak patch size, and one packed copy of each.
    /// A later <c>to(...)</c> of the model casts and moves these copies with the parameters.
    /// </summary>
    public void MergeAdapters()
    {
        using var _ = torch.no_grad();
        foreach (var stale in merged.Values) stale.Dispose();
        merged.Clear();
        foreach (var (patchSize, adapter) in lora.Members)
        {
            using var update = adapter.Update();
            merged[patchSize] = weight.detach().add(update).DetachFromDisposeScope();
        }
        Pack();
        frozen = true;
    }

    /// <summary>Bytes held by the frozen-inference copies beside the parameters: merged weights and packed weights.</summary>
    public long InferenceCopyBytes => merged.Values.Sum(w => w.NumberOfElements * w.ElementSize) + packed.Values.Sum(w => w.Bytes);

    // Every to(...) of the model ends here, after the parameters were cast or moved.
    /// <inheritdoc />
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        if (frozen) FollowParameters();
    }

    // The frozen copies follow a cast or move of the parameters, which to(...) does not see: merged weights were summed
    // in float32 and are cast once (a model frozen in float32 and converted to bfloat16 keeps one product per layer at a
    // weak patch size), and packed float32 copies are dropped where the weight is no longer float32 on the CPU.
    private void FollowParameters()
    {
        using var _ = torch.no_grad();
        foreach (var (patchSize, stale) in merged.ToList())
        {
            merged[patchSize] = stale.to(weight.dtype, weight.device).DetachFromDisposeScope();
            if (!ReferenceEquals(merged[patchSize], stale)) stale.Dispose();
        }
        bool packedStillApplies = packed.Count > 0 && CpuLinear.ShouldPack(weight);
        if (!packedStillApplies) Pack();
    }

    private void Pack()
    {
        foreach (var stale in packed.Values) stale.Dispose();
        packed.Clear();
        if (!CpuLinear.ShouldPack(weight)) return;
        packed[BaseWeight] = new PackedWeight(weight, bias);
        foreach (var (patchSize, w) in merged) packed[patchSize] = new PackedWeight(w, bias);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var w in merged.Values) w.Dispose();
            merged.Clear();
            foreach (var w in packed.Values) w.Dispose();
            packed.Clear();
        }
        base.Dispose(disposing);
    }
}

/// <summary>Embeds scalar timesteps: sinusoidal frequencies → MLP (models.py <c>TimestepEmbedder</c>).</summary>
public sealed class TimestepEmbedder : nn.Module
{
    /// <summary>Size of the sinusoidal embedding fed to the MLP.</summary>
    public const int FrequencySize = 256;
    private readonly Sequential mlp;

    /// <summary>Creates the embedder for the given width.</summary>
    public TimestepEmbedder(int hidden) : base("t_embedder")
    {
        mlp = nn.Sequential(("0", nn.Linear(FrequencySize, hidden)), ("1", nn.SiLU()), ("2", nn.Linear(hidden, hidden)));
        RegisterComponents();
    }

    /// <summary>cat(cos(t·f), sin(t·f)) with f = exp(-ln(max_period)·i/half), as in the official code.</summary>
    public static Tensor TimestepEmbedding(Tensor t, int dim, double maxPeriod = 10000)
    {
        int half = dim / 2;
        var freqs = torch.exp(torch.arange(0, half, dtype: float32, device: t.device) * (-Math.Log(maxPeriod) / half));
        var args = t.to(float32).unsqueeze(1) * freqs.unsqueeze(0);
        var embedding = torch.cat([torch.cos(args), torch.sin(args)], dim: -1);
        return dim % 2 == 1 ? torch.cat([embedding, torch.zeros_like(embedding[.., ..1])], dim: -1) : embedding;
    }

    /// <summary>Embeds timesteps of shape (N).</summary>
    public Tensor Forward(Tensor t)
    {
        var (fc1, fc2) = ((Linear)mlp[0], (Linear)mlp[2]);
        return AdaLN.ConditionLinear(F.silu(AdaLN.ConditionLinear(TimestepEmbedding(t, FrequencySize).to(fc1.weight!.dtype), fc1)), fc2);
    }
}

/// <summary>Class labels → vectors; the extra last row is the null class of classifier-free guidance.</summary>
public sealed class LabelEmbedder : nn.Module
{
    private readonly Embedding embedding_table;
    private readonly int numClasses;
    private readonly double dropoutProb;

    /// <summary>Creates the table (one more row when label dropout is used).</summary>
    public LabelEmbedder(int numClasses, int hidden, double dropoutProb) : base("y_embedder")
    {
        this.numClasses = numClasses;
        this.dropoutProb = dropoutProb;
        embedding_table = nn.Embedding(numClasses + (dropoutProb > 0 ? 1 : 0), hidden);
        RegisterComponents();
    }

    /// <summary>Replaces labels by the null class with the training dropout probability.</summary>
    public Tensor DropLabels(Tensor labels, Generator? generator = null) =>
        DropLabels(labels, DropMask(labels.shape[0], labels.device, generator));

    /// <summary>Which of <paramref name="count"/> samples lose their label (true) with the training dropout probability.</summary>
    public Tensor DropMask(long count, Device? device = null, Generator? generator = null) =>
        torch.rand(count, generator: generator, device: device) < dropoutProb;

    /// <summary>Replaces the labels where <paramref name="drop"/> is true by the null class.</summary>
    public Tensor DropLabels(Tensor labels, Tensor drop) => torch.where(drop, torch.full_like(labels, numClasses), labels);

    /// <summary>Looks up the labels' embeddings.</summary>
    public Tensor Forward(Tensor labels) => embedding_table.forward(labels);
}

/// <summary>Multi-head self-attention (timm's Attention as DiT uses it), via scaled-dot-product attention.</summary>
public sealed class Attention : nn.Module
{
    private readonly AdaptedLinear qkv, proj;
    private readonly int heads;

    /// <summary>Creates the layer.</summary>
    public Attention(int hidden, int heads) : base("attn")
    {
        this.heads = heads;
        qkv = new AdaptedLinear(hidden, hidden * 3);
        proj = new AdaptedLinear(hidden, hidden);
        RegisterComponents();
    }

    internal IEnumerable<AdaptedLinear> Linears => [qkv, proj];

    /// <summary>softmax(q kᵀ / √d) v over all tokens, projected.</summary>
    public Tensor Forward(Tensor x, int patchSize)
    {
        var attended = Attend(x, patchSize);
        using var timing = OpProfiler.Measure(ForwardOp.AttentionProj);
        return proj.Forward(attended, patchSize);
    }

    /// <summary>residual + gate ⊙ attention(x) (see <see cref="AdaptedLinear.ForwardIntoResidual"/>).</summary>
    public Tensor ForwardIntoResidual(Tensor x, int patchSize, Tensor residual, Tensor gate, bool inPlace)
    {
        var attended = Attend(x, patchSize);
        using var timing = OpProfiler.Measure(ForwardOp.AttentionProj);
        return proj.ForwardIntoResidual(attended, patchSize, residual, gate, inPlace);
    }

    // softmax(q kᵀ / √d) v, heads merged back: (N, T, C).
    private Tensor Attend(Tensor x, int patchSize)
    {
        long n = x.shape[0], tokens = x.shape[1], c = x.shape[2];
        Tensor fused;
        using (OpProfiler.Measure(ForwardOp.QkvLinear)) fused = qkv.Forward(x, patchSize);
        using var timing = OpProfiler.Measure(ForwardOp.AttentionCore);
        // Beside the packed kernel, attention runs on it too, heads split and merged by addressing alone.
        if (CpuLinear.CanUsePacked(fused) && PackedAttention.CanAttend(fused, heads)) return PackedAttention.Attend(fused, heads, CpuLinear.ProductThreads);
        // One unbind of a permuted view: q, k and v stay strided views of the fused product, no copies.
        var qkvHeads = fused.view(n, tokens, 3, heads, c / heads).permute(2, 0, 3, 1, 4).unbind(0);
        var (q, k, v) = (qkvHeads[0], qkvHeads[1], qkvHeads[2]);
        // timm's Attention (which the official DiT uses) has the same two paths. On CPU, libtorch's fused
        // kernel is the faster one in float32 but about twice as slow as the plain products in bfloat16.
        var attended = x.dtype == ScalarType.BFloat16 && x.device.type == DeviceType.CPU
            ? torch.matmul(torch.softmax(torch.matmul(q, k.transpose(-2, -1)) / Math.Sqrt(c / heads), -1), v)
            : F.scaled_dot_product_attention(q, k, v);
        return attended.transpose(1, 2).reshape(n, tokens, c);
    }
}

/// <summary>fc1 → GELU (tanh approximation) → fc2 (timm's <c>Mlp</c>).</summary>
public sealed class Mlp : nn.Module
{
    private readonly AdaptedLinear fc1, fc2;
    private readonly ForwardOp fc1Part, fc2Part;

    /// <summary>Creates a block's MLP, width → inner → width.</summary>
    public Mlp(int hidden, int inner) : this(hidden, inner, hidden, ForwardOp.MlpFc1, ForwardOp.MlpFc2)
    {
    }

    /// <summary>Creates an MLP in → inner → out whose two layers a profile books to <paramref name="part"/> (e.g. PixArt's caption projection).</summary>
    public Mlp(int inFeatures, int inner, int outFeatures, ForwardOp part) : this(inFeatures, inner, outFeatures, part, part)
    {
    }

    private Mlp(int inFeatures, int inner, int outFeatures, ForwardOp fc1Part, ForwardOp fc2Part) : base("mlp")
    {
        fc1 = new AdaptedLinear(inFeatures, inner);
        fc2 = new AdaptedLinear(inner, outFeatures);
        (this.fc1Part, this.fc2Part) = (fc1Part, fc2Part);
        RegisterComponents();
    }

    internal IEnumerable<AdaptedLinear> Linears => [fc1, fc2];

    /// <summary>Applies the MLP.</summary>
    public Tensor Forward(Tensor x, int patchSize)
    {
        var hidden = Hidden(x, patchSize);
        using var timing = OpProfiler.Measure(fc2Part);
        return fc2.Forward(hidden, patchSize);
    }

    /// <summary>residual + gate ⊙ mlp(x) (see <see cref="AdaptedLinear.ForwardIntoResidual"/>).</summary>
    public Tensor ForwardIntoResidual(Tensor x, int patchSize, Tensor residual, Tensor gate, bool inPlace)
    {
        var hidden = Hidden(x, patchSize);
        using var timing = OpProfiler.Measure(fc2Part);
        return fc2.ForwardIntoResidual(hidden, patchSize, residual, gate, inPlace);
    }

    private Tensor Hidden(Tensor x, int patchSize)
    {
        using var timing = OpProfiler.Measure(fc1Part);
        return fc1.Forward(x, patchSize, GemmActivation.Gelu);
    }
}

/// <summary>A DiT block with adaptive layer norm zero (adaLN-Zero) conditioning.</summary>
public sealed class DiTBlock : nn.Module
{
    private readonly Attention attn;
    private readonly Mlp mlp;
    private readonly Sequential adaLN_modulation;

    /// <summary>Creates the block.</summary>
    public DiTBlock(int hidden, int heads, int mlpHidden) : base("block")
    {
        attn = new Attention(hidden, heads);
        mlp = new Mlp(hidden, mlpHidden);
        adaLN_modulation = nn.Sequential(("0", nn.SiLU()), ("1", nn.Linear(hidden, 6 * hidden)));
        RegisterComponents();
    }

    internal IEnumerable<AdaptedLinear> Linears => attn.Linears.Concat(mlp.Linears);

    /// <summary>The adaLN modulation's linear layer: SiLU(c) → the block's six modulation vectors.</summary>
    internal Linear Modulation => (Linear)adaLN_modulation[1];

    /// <summary>x += gate·attn(modulate(norm(x))); x += gate·mlp(modulate(norm(x))).</summary>
    public Tensor Forward(Tensor x, Tensor c, int patchSize) => ForwardActivated(x, F.silu(c), patchSize, inPlace: false);

    /// <summary>
    /// The block on SiLU(c), which all blocks share (the model computes it once). With <paramref name="inPlace"/> the
    /// residual updates are written into <paramref name="x"/>: only without autograd, where nothing saved x for a backward.
    /// </summary>
    /// <remarks><paramref name="modulation"/>: this block's six modulation vectors (N, 6D) when the model computed every block's at once.</remarks>
    internal Tensor ForwardActivated(Tensor x, Tensor activatedCondition, int patchSize, bool inPlace, Tensor? modulation = null)
    {
        if (modulation is null)
        {
            using var timing = OpProfiler.Measure(ForwardOp.AdaLnModulation);
            modulation = AdaLN.ConditionLinear(activatedCondition, Modulation);
        }
        var m = modulation.unsqueeze(1).chunk(6, dim: 2);
        var (shiftMsa, scaleMsa, gateMsa, shiftMlp, scaleMlp, gateMlp) = (m[0], m[1], m[2], m[3], m[4], m[5]);
        x = attn.ForwardIntoResidual(AdaLN.NormModulate(x, shiftMsa, scaleMsa, inPlace), patchSize, x, gateMsa, inPlace);
        return mlp.ForwardIntoResidual(AdaLN.NormModulate(x, shiftMlp, scaleMlp, inPlace), patchSize, x, gateMlp, inPlace);
    }
}

/// <summary>The official patch embedding: a p×p convolution with stride p (<c>x_embedder.proj</c>).</summary>
public sealed class PatchEmbed : nn.Module
{
    private readonly Conv2d proj;

    /// <summary>Creates the embedding.</summary>
    public PatchEmbed(int inChannels, int hidden, int patch) : base("x_embedder")
    {
        proj = nn.Conv2d(inChannels, hidden, kernel_size: patch, stride: patch);
        RegisterComponents();
    }

    /// <summary>The convolution (weight D×C×p×p).</summary>
    public Conv2d Proj => proj;

    /// <summary>(N, C, H, W) → (N, T, D), tokens in row-major order.</summary>
    public Tensor Forward(Tensor x) => proj.forward(x).flatten(2).transpose(1, 2);
}

/// <summary>The last layer: adaLN modulation, then a linear map of each token to a p×p×C_out patch.</summary>
public sealed class FinalLayer : nn.Module
{
    private readonly Linear linear;
    private readonly Sequential adaLN_modulation;

    /// <summary>Creates the layer.</summary>
    public FinalLayer(int hidden, int patch, int outChannels) : base("final_layer")
    {
        linear = nn.Linear(hidden, patch * patch * outChannels);
        adaLN_modulation = nn.Sequential(("0", nn.SiLU()), ("1", nn.Linear(hidden, 2 * hidden)));
        RegisterComponents();
    }

    /// <summary>The de-embedding of the original patch size.</summary>
    public Linear Linear => linear;

    /// <summary>modulate(norm(x)) → de-embedding (the original one, or a weak patch size's).</summary>
    public Tensor Forward(Tensor x, Tensor c, Linear deEmbedding)
    {
        Tensor[] m;
        using (OpProfiler.Measure(ForwardOp.AdaLnModulation)) m = AdaLN.ConditionLinear(F.silu(c), (Linear)adaLN_modulation[1]).chunk(2, dim: 1);
        var modulated = AdaLN.NormModulate(x, m[0], m[1], inPlace: !torch.is_grad_enabled());
        using var timing = OpProfiler.Measure(ForwardOp.FinalLinear);
        return deEmbedding.forward(modulated);
    }
}

/// <summary>What a weak patch size adds to the model: its own embedding, de-embedding and size embedding.</summary>
public sealed class FlexiPatch : nn.Module
{
    private readonly PatchEmbed x_embedder;
    private readonly Linear final_linear;
    private readonly Parameter size_embed;

    /// <summary>Creates the parts for patch size <paramref name="patch"/>, zero-initialised.</summary>
    public FlexiPatch(int inChannels, int hidden, int patch, int outChannels) : base("flexi")
    {
        x_embedder = new PatchEmbed(inChannels, hidden, patch);
        final_linear = nn.Linear(hidden, patch * patch * outChannels);
        size_embed = nn.Parameter(torch.zeros(hidden));
        RegisterComponents();
    }

    /// <summary>The patch embedding of this size.</summary>
    public PatchEmbed Embedder => x_embedder;
    /// <summary>The de-embedding of this size.</summary>
    public Linear DeEmbedding => final_linear;
    /// <summary>The learned patch-size embedding added to every token.</summary>
    public Parameter SizeEmbedding => size_embed;
}

/// <summary>
/// The Diffusion Transformer, runnable at its original patch size and at every weak patch size
/// of <see cref="DiTConfig.FlexiPatchSizes"/>.
/// </summary>
public sealed class DiT : nn.Module, IDenoiser, IFlexiModel
{
    private readonly PatchEmbed x_embedder;
    private readonly TimestepEmbedder t_embedder;
    private readonly LabelEmbedder y_embedder;
    private readonly Tensor pos_embed;
    private readonly ModuleList<DiTBlock> blocks = new();
    private readonly FinalLayer final_layer;
    private readonly ModuleGroup<FlexiPatch> flexi = new("flexi");
    private readonly Dictionary<int, Tensor> weakPositions = new();
    // Every block's adaLN weights stacked and packed (MergeAdapters, where the packed kernel is in use): one product per
    // forward gives all blocks' modulations, streaming the 12 × 6D × D weights once on all threads. Not module state.
    private PackedWeight? allModulations;
    private bool frozen;

    /// <summary>Creates a model with PyTorch's default initialisation (load weights before use).</summary>
    public DiT(DiTConfig config) : base("DiT")
    {
        config.Validate();
        Config = config;
        int d = config.HiddenSize;
        x_embedder = new PatchEmbed(config.InChannels, d, config.PatchSize);
        t_embedder = new TimestepEmbedder(d);
        y_embedder = new LabelEmbedder(config.NumClasses, d, config.ClassDropoutProb);
        int grid = config.InputSize / config.PatchSize;
        pos_embed = PositionEmbedding.SinCos2D(d, grid, grid, originalPatchesPerToken: 1).unsqueeze(0);
        for (int i = 0; i < config.Depth; i++) blocks.Add(new DiTBlock(d, config.Heads, config.MlpHidden));
        final_layer = new FinalLayer(d, config.PatchSize, config.OutChannels);
        foreach (int p in config.FlexiPatchSizes) AddWeakParts(p);
        RegisterComponents();
    }

    /// <summary>The configuration this model was built from (including its weak patch sizes).</summary>
    public DiTConfig Config { get; private set; }

    /// <summary>The label embedder (training drops labels through it).</summary>
    public LabelEmbedder LabelEmbedder => y_embedder;

    /// <summary>The original patch embedding.</summary>
    public PatchEmbed PatchEmbedder => x_embedder;

    /// <summary>The final layer (holds the original de-embedding).</summary>
    public FinalLayer FinalLayer => final_layer;

    /// <summary>The parts a weak patch size adds, by patch size.</summary>
    public FlexiPatch WeakParts(int patchSize) =>
        flexi.TryGet(patchSize, out var parts) ? parts : throw new ArgumentException($"The model has no patch size {patchSize}; it has {string.Join(", ", Config.AllPatchSizes)}.", nameof(patchSize));

    /// <summary>The parameters that belong to weak patch sizes only (what conversion fine-tunes).</summary>
    public IEnumerable<Parameter> WeakParameters() =>
        named_parameters().Where(p => p.name.StartsWith("flexi.", StringComparison.Ordinal) || p.name.Contains(".lora.", StringComparison.Ordinal)).Select(p => p.parameter);

    /// <inheritdoc />
    public IDenoiserGeometry Geometry => Config;

    /// <inheritdoc />
    public Device Device => x_embedder.Proj.weight!.device;

    /// <inheritdoc />
    public Tensor Forward(Tensor x, Tensor t, ModelCondition condition, int patchSize) =>
        Forward(x, t, ModelCondition.As<ClassCondition>(condition).Labels, patchSize);

    /// <summary>The null class for every row (null when the model was trained without label dropout).</summary>
    public ModelCondition? NullCondition(ModelCondition condition) =>
        Config.HasNullClass ? new ClassCondition(torch.full(condition.Count, (long)Config.NullClass, device: ModelCondition.As<ClassCondition>(condition).Labels.device)) : null;

    Conv2d IFlexiModel.OriginalEmbedding => x_embedder.Proj;
    Linear IFlexiModel.OriginalDeEmbedding => final_layer.Linear;
    int IFlexiModel.OutChannels => Config.OutChannels;
    FlexiPatch IFlexiModel.AddWeakPatchSize(int patchSize, int loraRank) => AddWeakPatchSize(patchSize, loraRank);

    /// <summary>Adds weak patch size <paramref name="patchSize"/> (zero-initialised; see <see cref="Flexify"/>).</summary>
    internal FlexiPatch AddWeakPatchSize(int patchSize, int loraRank)
    {
        Config = Config with { FlexiPatchSizes = [.. Config.FlexiPatchSizes, patchSize], FlexiLoraRank = loraRank };
        Config.Validate();
        var parts = AddWeakParts(patchSize);
        var device = x_embedder.Proj.weight!.device;
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
        foreach (var linear in blocks.SelectMany(b => b.Linears)) linear.MergeAdapters();
        PackModulations();
        frozen = true;
    }

    /// <summary>Bytes held by <see cref="MergeAdapters"/>'s copies beside the parameters (merged and packed weights).</summary>
    public long InferenceCopyBytes => blocks.SelectMany(b => b.Linears).Sum(l => l.InferenceCopyBytes) + (allModulations?.Bytes ?? 0);

    // After a cast or move of a frozen model (its blocks' layers follow on their own): the packed modulations are dropped
    // where the weights are no longer float32 on the CPU, and made where they have become so.
    /// <inheritdoc />
    protected override void _toEpilog(ScalarType? dtype, Device? device, bool non_blocking)
    {
        base._toEpilog(dtype, device, non_blocking);
        if (frozen && (allModulations is not null) != CpuLinear.ShouldPack(blocks[0].Modulation.weight!)) PackModulations();
    }

    private void PackModulations()
    {
        allModulations?.Dispose();
        allModulations = null;
        if (!CpuLinear.ShouldPack(blocks[0].Modulation.weight!)) return;
        using var scope = torch.NewDisposeScope();
        using var noGrad = torch.no_grad();
        allModulations = new PackedWeight(torch.cat(blocks.Select(b => b.Modulation.weight!).ToArray(), dim: 0), torch.cat(blocks.Select(b => b.Modulation.bias!).ToArray(), dim: 0));
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            allModulations?.Dispose();
            allModulations = null;
        }
        base.Dispose(disposing);
    }

    /// <summary>The model's noise (and variance) prediction: (N, C, H, W), t (N), y (N) → (N, C_out, H, W).</summary>
    public Tensor Forward(Tensor x, Tensor t, Tensor y, int? patchSize = null)
    {
        // One scope per forward: the intermediates of 12+ blocks are freed here, not at the caller's step end.
        using var scope = torch.NewDisposeScope();
        // A model converted to bfloat16 takes and returns the caller's type, so samplers keep float32 arithmetic.
        var callerType = x.dtype;
        if (callerType != pos_embed.dtype) x = x.to(pos_embed.dtype);
        int p = patchSize ?? Config.PatchSize;
        Tensor tokens;
        Linear deEmbedding;
        using (OpProfiler.Measure(ForwardOp.PatchEmbed))
        {
            if (p == Config.PatchSize)
            {
                tokens = x_embedder.Forward(x) + pos_embed;
                deEmbedding = final_layer.Linear;
            }
            else
            {
                var parts = WeakParts(p);
                tokens = parts.Embedder.Forward(x) + WeakPositions(p, x.device, x.dtype) + parts.SizeEmbedding;
                deEmbedding = parts.DeEmbedding;
            }
        }
        Tensor c, activated;
        using (OpProfiler.Measure(ForwardOp.Conditioning))
        {
            c = t_embedder.Forward(t) + y_embedder.Forward(y);
            activated = F.silu(c);
        }
        // Without autograd the residual stream is updated in place (tokens is this forward's own tensor, made contiguous:
        // the patch embedding's transpose would otherwise carry into it, and the packed kernel writes rows).
        bool inPlace = !torch.is_grad_enabled();
        if (inPlace) tokens = tokens.contiguous();
        Tensor[]? modulations = null;
        if (allModulations is not null && blocks[0].Modulation.weight!.dtype == ScalarType.Float32 && CpuLinear.CanUsePacked(activated))
        {
            using (OpProfiler.Measure(ForwardOp.AdaLnModulation)) modulations = CpuLinear.Linear(activated, allModulations, GemmActivation.None).chunk(blocks.Count, dim: 1);
        }
        for (int i = 0; i < blocks.Count; i++) tokens = blocks[i].ForwardActivated(tokens, activated, p, inPlace, modulations?[i]);
        var final = final_layer.Forward(tokens, c, deEmbedding);
        Tensor output;
        using (OpProfiler.Measure(ForwardOp.Unpatchify)) output = Unpatchify(final, p, Config.OutChannels);
        return (output.dtype == callerType ? output : output.to(callerType)).MoveToOuterDisposeScope();
    }

    /// <summary>Position embeddings of a weak grid, in the original grid's coordinates.</summary>
    private Tensor WeakPositions(int patchSize, Device device, ScalarType dtype)
    {
        // Devices are compared by type and index: Device objects are not reused, so reference equality would
        // rebuild (and leak) the table on every forward.
        if (!weakPositions.TryGetValue(patchSize, out var positions) || positions.device_type != device.type || positions.device_index != device.index || positions.dtype != dtype)
        {
            int grid = Config.InputSize / patchSize;
            positions = PositionEmbedding.SinCos2D(Config.HiddenSize, grid, grid, (double)patchSize / Config.PatchSize).unsqueeze(0).to(dtype, device);
            // The cache outlives the caller's dispose scope (samplers open one per step).
            positions.DetachFromDisposeScope();
            if (weakPositions.TryGetValue(patchSize, out var stale)) stale.Dispose();
            weakPositions[patchSize] = positions;
        }
        return positions;
    }

    /// <summary>(N, T, p·p·C) → (N, C, H, W), the inverse of the row-major patchify.</summary>
    public static Tensor Unpatchify(Tensor x, int patch, int channels)
    {
        long n = x.shape[0];
        int side = (int)Math.Round(Math.Sqrt(x.shape[1]));
        return x.view(n, side, side, patch, patch, channels).permute(0, 5, 1, 3, 2, 4).reshape(n, channels, side * patch, side * patch);
    }
}
