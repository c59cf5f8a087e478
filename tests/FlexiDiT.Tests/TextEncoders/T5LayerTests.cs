using FlexiDiT.TextEncoders;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.TextEncoders;

/// <summary>Single layers on 2-d examples whose outputs are worked out by hand here.</summary>
public sealed class T5LayerTests
{
    private static readonly T5Config TwoDims = new() { DModel = 2, DKv = 2, DFf = 2, NumLayers = 1, NumHeads = 1, VocabSize = 4, LayerNormEpsilon = 1e-6 };

    private static void Set(nn.Module module, string name, float[] values)
    {
        using var _ = torch.no_grad();
        var target = module.state_dict()[name];
        target.copy_(torch.tensor(values).reshape(target.shape));
    }

    [Fact]
    public void Rms_norm_divides_by_the_root_mean_square_without_centring()
    {
        using var norm = new T5LayerNorm(2, eps: 0);
        Set(norm, "weight", [1f, 2f]);
        // x = (3, 4): mean of squares (9 + 16) / 2 = 12.5, root 3.5355339; no mean is taken out.
        using var y = norm.Forward(torch.tensor(new[] { 3f, 4f }));
        double rms = Math.Sqrt(12.5);
        Assert.Equal(3 / rms, y[0].item<float>(), 1e-6);
        Assert.Equal(2 * 4 / rms, y[1].item<float>(), 1e-6);
    }

    [Fact]
    public void Gated_gelu_feed_forward_is_wo_of_gelu_tanh_of_wi0_times_wi1()
    {
        using var ff = new T5DenseGatedActDense(TwoDims);
        Set(ff, "wi_0.weight", [1, 0, 0, 1]);
        Set(ff, "wi_1.weight", [2, 0, 0, -1]);
        Set(ff, "wo.weight", [1, 1, 0, 1]);
        using var y = ff.Forward(torch.tensor(new[] { 1f, -1f }));

        static double GeluTanh(double x) => 0.5 * x * (1 + Math.Tanh(Math.Sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x)));
        // wi_0 x = (1, −1), wi_1 x = (2, 1); gated: (2·gelu(1), gelu(−1)); wo rows (1, 1) and (0, 1).
        double g0 = 2 * GeluTanh(1), g1 = GeluTanh(-1);
        Assert.Equal(g0 + g1, y[0].item<float>(), 1e-6);
        Assert.Equal(g1, y[1].item<float>(), 1e-6);
        Assert.Equal(1.5235762, g0 + g1, 1e-6); // 2 · 0.8411920 − 0.1588080
    }

    [Fact]
    public void Attention_scores_are_plain_dot_products_without_one_over_root_d()
    {
        using var attention = new T5Attention(TwoDims, hasRelativeAttentionBias: true);
        foreach (string p in new[] { "q", "k", "v", "o" }) Set(attention, p + ".weight", [1, 0, 0, 1]);
        Set(attention, "relative_attention_bias.weight", new float[TwoDims.RelativeAttentionNumBuckets]);
        using var x = torch.tensor(new[] { 1f, 0f, 0f, 2f }).reshape(1, 2, 2);
        using var bias = attention.ComputeBias(2, torch.CPU);
        using var y = attention.Forward(x, bias);
        // Token 0 scores (1, 0) against tokens (1, 0) and (0, 2): 1 and 0; softmax e/(e+1), 1/(e+1).
        // Token 1 scores 0 and 4. A 1/√2 scale would give 0.67 and 0.33 for token 0 instead.
        double a = Math.E / (Math.E + 1), b = Math.Exp(4) / (Math.Exp(4) + 1);
        var values = y.data<float>().ToArray();
        Assert.Equal(a, values[0], 1e-6);
        Assert.Equal(2 * (1 - a), values[1], 1e-6);
        Assert.Equal(1 - b, values[2], 1e-6);
        Assert.Equal(2 * b, values[3], 1e-6);
    }

    [Fact]
    public void Position_bias_looks_up_the_bucket_of_key_minus_query_per_head()
    {
        var config = TwoDims with { NumHeads = 2, DKv = 1 };
        using var attention = new T5Attention(config, hasRelativeAttentionBias: true);
        // Bucket b of head h holds 100·h + b.
        Set(attention, "relative_attention_bias.weight", Enumerable.Range(0, config.RelativeAttentionNumBuckets).SelectMany(b => new[] { (float)b, 100f + b }).ToArray());
        using var bias = attention.ComputeBias(3, torch.CPU);
        Assert.Equal(new long[] { 1, 2, 3, 3 }, bias.shape);
        // Query 0 to key 2: +2 → bucket 16 + 2; query 2 to key 0: −2 → bucket 2.
        Assert.Equal(18f, bias[0, 0, 0, 2].item<float>());
        Assert.Equal(2f, bias[0, 0, 2, 0].item<float>());
        Assert.Equal(118f, bias[0, 1, 0, 2].item<float>());
        Assert.Equal(0f, bias[0, 0, 1, 1].item<float>());
    }

    [Fact]
    public void Parameter_count_of_the_config_is_the_models()
    {
        var config = T5Config.Load(T5Files.Config);
        using var model = new T5EncoderModel(config);
        Assert.Equal(model.parameters().Sum(p => p.numel()), config.ParameterCount);
        // t5-v1_1-xxl's encoder: 4.76 B parameters.
        Assert.Equal(4_762_310_656L, T5Config.T5V11Xxl.ParameterCount);
    }
}
