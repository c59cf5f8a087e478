using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

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
