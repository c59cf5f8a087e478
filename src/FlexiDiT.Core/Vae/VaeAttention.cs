using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Vae;

/// <summary>Single-head self-attention over all pixels, with a GroupNorm in front and a residual.</summary>
public sealed class VaeAttention : nn.Module
{
    private readonly GroupNorm group_norm;
    private readonly Linear to_q, to_k, to_v;
    private readonly ModuleList<Linear> to_out = new();

    /// <summary>Creates the layer for <paramref name="channels"/> channels (one head of that width).</summary>
    public VaeAttention(int channels, int groups) : base("attention")
    {
        group_norm = VaeOps.Create(groups, channels);
        to_q = nn.Linear(channels, channels);
        to_k = nn.Linear(channels, channels);
        to_v = nn.Linear(channels, channels);
        to_out.Add(nn.Linear(channels, channels));
        RegisterComponents();
    }

    /// <summary>x + out(softmax(q kᵀ / √C) v), the pixels of each image being the tokens.</summary>
    public Tensor Forward(Tensor x)
    {
        using var scope = torch.NewDisposeScope();
        long n = x.shape[0], c = x.shape[1], h = x.shape[2], w = x.shape[3];
        var tokens = group_norm.forward(x).view(n, c, h * w).transpose(1, 2);
        // One head: (N, 1, HW, C); the default scale 1/√C is ldm's c^-0.5.
        var q = to_q.forward(tokens).unsqueeze(1);
        var k = to_k.forward(tokens).unsqueeze(1);
        var v = to_v.forward(tokens).unsqueeze(1);
        var attended = F.scaled_dot_product_attention(q, k, v).squeeze(1);
        var output = to_out[0].forward(attended).transpose(1, 2).reshape(n, c, h, w);
        return (output + x).MoveToOuterDisposeScope();
    }
}
