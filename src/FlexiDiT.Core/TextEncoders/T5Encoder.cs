using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.TextEncoders;

// The encoder half of T5 v1.1 (Hugging Face transformers' models/t5/modeling_t5.py, T5EncoderModel). Field
// names are Hugging Face's state-dict names, so a checkpoint's keys map one to one. Each class mirrors the
// Hugging Face class of the same name; only what the encoder of a v1.1 model uses is here (no decoder, no
// cross-attention, no cache, no dropout: this is inference).

/// <summary>
/// Layers whose weights start as zeros. They always come from a checkpoint; a random initialisation of
/// t5-v1_1-xxl's 4.8 B parameters would take minutes on a CPU (25 s for 0.7 B on 2 cores) for nothing.
/// The modules are built on the meta device, where their own initialisation costs nothing, then given real tensors.
/// </summary>
internal static class T5Layers
{
    private static readonly Device Meta = new(DeviceType.META);

    public static Linear Linear(int inFeatures, int outFeatures, ScalarType dtype)
    {
        var linear = nn.Linear(inFeatures, outFeatures, hasBias: false, device: Meta, dtype: dtype);
        linear.weight = nn.Parameter(torch.zeros(outFeatures, inFeatures, dtype: dtype));
        return linear;
    }

    public static Embedding Embedding(int count, int width, ScalarType dtype)
    {
        var embedding = nn.Embedding(count, width, device: Meta, dtype: dtype);
        embedding.weight = nn.Parameter(torch.zeros(count, width, dtype: dtype));
        return embedding;
    }
}

/// <summary>T5's layer norm: <c>weight · x / √(mean(x²) + ε)</c>, no mean subtraction and no bias (RMS norm).</summary>
public sealed class T5LayerNorm : nn.Module
{
    private readonly Parameter weight;
    private readonly double eps;

    /// <summary>Creates the norm over <paramref name="hidden"/> features, weight ones.</summary>
    public T5LayerNorm(int hidden, double eps, ScalarType dtype = ScalarType.Float32) : base(nameof(T5LayerNorm))
    {
        weight = nn.Parameter(torch.ones(hidden, dtype: dtype));
        this.eps = eps;
        RegisterComponents();
    }

    /// <summary>Normalises the last dimension; the mean square is taken in float32 whatever the weights' type (as Hugging Face does).</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        var normed = x32 * torch.rsqrt(x32.pow(2).mean([-1], keepdim: true) + eps);
        return (weight * normed.to(weight.dtype)).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Multi-head self-attention with T5's learned relative-position bias. Scores are <c>q·kᵀ</c> with no
/// <c>1/√d_kv</c> scaling (T5 folds it into the initialisation). Only the first block owns
/// <c>relative_attention_bias</c>; the bias it computes is passed on to every later block.
/// </summary>
public sealed class T5Attention : nn.Module
{
    private readonly Linear q, k, v, o;
    private readonly Embedding? relative_attention_bias;
    private readonly int heads, dKv, numBuckets, maxDistance;

    /// <summary>Creates the layer; <paramref name="hasRelativeAttentionBias"/> only for block 0.</summary>
    public T5Attention(T5Config config, bool hasRelativeAttentionBias, ScalarType dtype = ScalarType.Float32) : base(nameof(T5Attention))
    {
        heads = config.NumHeads;
        dKv = config.DKv;
        numBuckets = config.RelativeAttentionNumBuckets;
        maxDistance = config.RelativeAttentionMaxDistance;
        q = T5Layers.Linear(config.DModel, config.InnerDim, dtype);
        k = T5Layers.Linear(config.DModel, config.InnerDim, dtype);
        v = T5Layers.Linear(config.DModel, config.InnerDim, dtype);
        o = T5Layers.Linear(config.InnerDim, config.DModel, dtype);
        if (hasRelativeAttentionBias) relative_attention_bias = T5Layers.Embedding(numBuckets, heads, dtype);
        RegisterComponents();
    }

    /// <summary>
    /// T5's bidirectional bucket of each relative position (key position − query position): half the buckets
    /// for each sign; within a half, distances below a quarter of all buckets get one bucket each, longer ones
    /// share logarithmically wider buckets up to <paramref name="maxDistance"/>, beyond which all share the last.
    /// </summary>
    /// <param name="relativePosition">int64 relative positions, any shape.</param>
    /// <param name="numBuckets">All buckets (both directions).</param>
    /// <param name="maxDistance">Distance at which the logarithmic buckets end.</param>
    public static Tensor RelativePositionBucket(Tensor relativePosition, int numBuckets, int maxDistance)
    {
        using var scope = torch.NewDisposeScope();
        int half = numBuckets / 2, maxExact = half / 2;
        var direction = (relativePosition > 0).to(ScalarType.Int64) * half;
        var distance = relativePosition.abs();
        // The same float32 operations in the same order as Hugging Face, so that boundary distances
        // truncate to the same bucket.
        var large = maxExact + (torch.log(distance.to(ScalarType.Float32) / maxExact) / Math.Log(maxDistance / (double)maxExact) * (half - maxExact)).to(ScalarType.Int64);
        large = torch.minimum(large, torch.full_like(large, half - 1));
        return (direction + torch.where(distance < maxExact, distance, large)).MoveToOuterDisposeScope();
    }

    /// <summary>The bias [1, heads, T, T] for <paramref name="length"/> tokens (float32); needs <c>relative_attention_bias</c>.</summary>
    public Tensor ComputeBias(long length, Device device)
    {
        if (relative_attention_bias is null) throw new InvalidOperationException("Only the first T5 block has relative_attention_bias; later blocks reuse its position bias.");
        using var scope = torch.NewDisposeScope();
        var positions = torch.arange(length, dtype: ScalarType.Int64, device: device);
        var relative = positions.unsqueeze(0) - positions.unsqueeze(1); // [query, key] = key − query
        var buckets = RelativePositionBucket(relative, numBuckets, maxDistance);
        var values = relative_attention_bias.forward(buckets); // [T, T, heads]
        return values.permute(2, 0, 1).unsqueeze(0).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary><c>o(softmax(q·kᵀ + bias) v)</c> over all heads; <paramref name="bias"/> already carries the padding mask.</summary>
    public Tensor Forward(Tensor x, Tensor bias)
    {
        using var scope = torch.NewDisposeScope();
        long batch = x.shape[0], length = x.shape[1];
        Tensor Heads(Linear projection) => projection.forward(x).view(batch, length, heads, dKv).transpose(1, 2);
        var (query, key, value) = (Heads(q), Heads(k), Heads(v));
        var scores = torch.matmul(query, key.transpose(-2, -1)).to(ScalarType.Float32) + bias;
        var weights = torch.softmax(scores, -1).to(value.dtype);
        var attended = torch.matmul(weights, value).transpose(1, 2).reshape(batch, length, heads * dKv);
        return o.forward(attended).MoveToOuterDisposeScope();
    }
}

/// <summary>Pre-norm self-attention with a residual: <c>h + SelfAttention(layer_norm(h))</c>.</summary>
public sealed class T5LayerSelfAttention : nn.Module
{
    private readonly T5Attention SelfAttention;
    private readonly T5LayerNorm layer_norm;

    /// <summary>Creates the layer.</summary>
    public T5LayerSelfAttention(T5Config config, bool hasRelativeAttentionBias, ScalarType dtype = ScalarType.Float32) : base(nameof(T5LayerSelfAttention))
    {
        SelfAttention = new T5Attention(config, hasRelativeAttentionBias, dtype);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, dtype);
        RegisterComponents();
    }

    /// <summary>The attention layer, which block 0 asks for the position bias.</summary>
    public T5Attention Attention => SelfAttention;

    /// <summary>Applies the layer.</summary>
    public Tensor Forward(Tensor h, Tensor bias)
    {
        using var scope = torch.NewDisposeScope();
        return (h + SelfAttention.Forward(layer_norm.Forward(h), bias)).MoveToOuterDisposeScope();
    }
}

/// <summary>T5 v1.1's gated feed-forward: <c>wo(gelu_new(wi_0 x) · wi_1 x)</c>, gelu_new being GELU's tanh approximation.</summary>
public sealed class T5DenseGatedActDense : nn.Module
{
    private readonly Linear wi_0, wi_1, wo;

    /// <summary>Creates the layer.</summary>
    public T5DenseGatedActDense(T5Config config, ScalarType dtype = ScalarType.Float32) : base(nameof(T5DenseGatedActDense))
    {
        wi_0 = T5Layers.Linear(config.DModel, config.DFf, dtype);
        wi_1 = T5Layers.Linear(config.DModel, config.DFf, dtype);
        wo = T5Layers.Linear(config.DFf, config.DModel, dtype);
        RegisterComponents();
    }

    /// <summary>Applies the layer.</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        var gate = F.gelu(wi_0.forward(x), GELU.Approximate.tanh);
        return wo.forward(gate * wi_1.forward(x)).MoveToOuterDisposeScope();
    }
}

/// <summary>Pre-norm feed-forward with a residual: <c>h + DenseReluDense(layer_norm(h))</c> (Hugging Face keeps the v1.0 name).</summary>
public sealed class T5LayerFF : nn.Module
{
    private readonly T5DenseGatedActDense DenseReluDense;
    private readonly T5LayerNorm layer_norm;

    /// <summary>Creates the layer.</summary>
    public T5LayerFF(T5Config config, ScalarType dtype = ScalarType.Float32) : base(nameof(T5LayerFF))
    {
        DenseReluDense = new T5DenseGatedActDense(config, dtype);
        layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, dtype);
        RegisterComponents();
    }

    /// <summary>Applies the layer.</summary>
    public Tensor Forward(Tensor h)
    {
        using var scope = torch.NewDisposeScope();
        return (h + DenseReluDense.Forward(layer_norm.Forward(h))).MoveToOuterDisposeScope();
    }
}

/// <summary>One encoder block: <c>layer.0</c> self-attention, then <c>layer.1</c> feed-forward.</summary>
public sealed class T5Block : nn.Module
{
    private readonly ModuleList<nn.Module> layer = new();

    /// <summary>Creates the block; only block 0 has <paramref name="hasRelativeAttentionBias"/>.</summary>
    public T5Block(T5Config config, bool hasRelativeAttentionBias, ScalarType dtype = ScalarType.Float32) : base(nameof(T5Block))
    {
        layer.Add(new T5LayerSelfAttention(config, hasRelativeAttentionBias, dtype));
        layer.Add(new T5LayerFF(config, dtype));
        RegisterComponents();
    }

    /// <summary>The self-attention layer.</summary>
    public T5LayerSelfAttention SelfAttentionLayer => (T5LayerSelfAttention)layer[0];

    /// <summary>Applies the block.</summary>
    public Tensor Forward(Tensor h, Tensor bias)
    {
        using var scope = torch.NewDisposeScope();
        return ((T5LayerFF)layer[1]).Forward(SelfAttentionLayer.Forward(h, bias)).MoveToOuterDisposeScope();
    }
}

/// <summary>The encoder stack: the blocks and the final RMS norm (Hugging Face's <c>T5Stack</c>, embeddings held by the model).</summary>
public sealed class T5Stack : nn.Module
{
    private readonly ModuleList<T5Block> block = new();
    private readonly T5LayerNorm final_layer_norm;

    /// <summary>Creates the stack.</summary>
    public T5Stack(T5Config config, ScalarType dtype = ScalarType.Float32) : base(nameof(T5Stack))
    {
        for (int i = 0; i < config.NumLayers; i++) block.Add(new T5Block(config, hasRelativeAttentionBias: i == 0, dtype));
        final_layer_norm = new T5LayerNorm(config.DModel, config.LayerNormEpsilon, dtype);
        RegisterComponents();
    }

    /// <summary>
    /// Runs the blocks over <paramref name="embeddings"/> [B, T, d_model]. The position bias is computed once,
    /// by block 0, with the padding mask added as <c>(1 − mask) · float32.min</c> on masked keys, and reused by every block.
    /// </summary>
    public Tensor Forward(Tensor embeddings, Tensor attentionMask)
    {
        using var scope = torch.NewDisposeScope();
        var padding = (1 - attentionMask.to(ScalarType.Float32)).unsqueeze(1).unsqueeze(1) * float.MinValue; // [B, 1, 1, T]
        var bias = block[0].SelfAttentionLayer.Attention.ComputeBias(embeddings.shape[1], embeddings.device) + padding;
        var h = embeddings;
        foreach (var b in block)
        {
            var next = b.Forward(h, bias);
            if (!ReferenceEquals(h, embeddings)) h.Dispose();
            h = next;
        }
        return final_layer_norm.Forward(h).MoveToOuterDisposeScope();
    }
}

/// <summary>
/// Hugging Face's <c>T5EncoderModel</c>: token embedding (<c>shared</c>, not scaled) and the encoder stack.
/// <c>encoder.embed_tokens.weight</c> in checkpoints is the same tensor as <c>shared.weight</c> (tied).
/// </summary>
public sealed class T5EncoderModel : nn.Module
{
    private readonly Embedding shared;
    private readonly T5Stack encoder;

    /// <summary>Creates an encoder of <paramref name="config"/> with weights of <paramref name="dtype"/> (float32 or bfloat16).</summary>
    public T5EncoderModel(T5Config config, ScalarType dtype = ScalarType.Float32) : base(nameof(T5EncoderModel))
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        if (dtype is not (ScalarType.Float32 or ScalarType.BFloat16))
            throw new ArgumentException($"T5 weights can be float32 or bfloat16, not {dtype}.", nameof(dtype));
        Config = config;
        DType = dtype;
        shared = T5Layers.Embedding(config.VocabSize, config.DModel, dtype);
        encoder = new T5Stack(config, dtype);
        RegisterComponents();
    }

    /// <summary>The encoder's shape.</summary>
    public T5Config Config { get; }

    /// <summary>The type of the weights and of the computation (float32 or bfloat16).</summary>
    public ScalarType DType { get; }

    /// <summary>
    /// <c>last_hidden_state</c> [B, T, d_model] (in <see cref="DType"/>) of <paramref name="inputIds"/> [B, T]
    /// with <paramref name="attentionMask"/> [B, T] (1 on real tokens, 0 on padding).
    /// </summary>
    /// <exception cref="ArgumentException">Shapes disagree or an id is outside the vocabulary.</exception>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask)
    {
        ArgumentNullException.ThrowIfNull(inputIds);
        ArgumentNullException.ThrowIfNull(attentionMask);
        if (inputIds.dim() != 2 || !inputIds.shape.SequenceEqual(attentionMask.shape))
            throw new ArgumentException($"T5 input_ids [{string.Join(", ", inputIds.shape)}] and attention_mask [{string.Join(", ", attentionMask.shape)}] must both be [batch, tokens].", nameof(attentionMask));
        using var scope = torch.NewDisposeScope();
        var ids = inputIds.to(ScalarType.Int64);
        if (ids.numel() > 0 && (ids.min().item<long>() < 0 || ids.max().item<long>() >= Config.VocabSize))
            throw new ArgumentException($"T5 input_ids must lie in [0, {Config.VocabSize}) (vocab_size); got ids from {ids.min().item<long>()} to {ids.max().item<long>()}.", nameof(inputIds));
        var device = shared.weight!.device;
        var embeddings = shared.forward(ids.to(device));
        return encoder.Forward(embeddings, attentionMask.to(device)).MoveToOuterDisposeScope();
    }
}
