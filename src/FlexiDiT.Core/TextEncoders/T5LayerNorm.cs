using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

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
