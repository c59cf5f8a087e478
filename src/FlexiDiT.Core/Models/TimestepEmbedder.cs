using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

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
