using FlexiDiT.Profiling;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

// The Diffusion Transformer of Peebles & Xie (facebookresearch/DiT, models.py), with the official
// state-dict names, extended to FlexiDiT: every weak patch size p' adds its own patch embedding,
// de-embedding, patch-size embedding and (optionally) LoRA adapters, while the original patch size
// runs exactly the original weights. DiT and its parts (DiTBlock, Attention, Mlp, PatchEmbed, FinalLayer, ...,
// each in its own file of this folder) each mirror one class of models.py.

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
        // Without autograd the residual stream is updated in place (tokens is this forward's own tensor).
        bool inPlace = !torch.is_grad_enabled();
        foreach (var block in blocks) tokens = block.ForwardActivated(tokens, activated, p, inPlace);
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
