using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Models;

/// <summary>nn.Linear with the official parameter names and optional per-patch-size LoRA adapters.</summary>
public sealed class AdaptedLinear : nn.Module
{
    private readonly Parameter weight;
    private readonly Parameter bias;
    private readonly ModuleGroup<LoraAdapter> lora = new("lora");

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

    /// <summary>y = x Wᵀ + b, plus the adapter of the active patch size if there is one.</summary>
    public Tensor Forward(Tensor x, int patchSize)
    {
        var y = F.linear(x, weight, bias);
        return lora.TryGet(patchSize, out var adapter) ? y.add_(adapter.Delta(x)) : y;
    }
}
