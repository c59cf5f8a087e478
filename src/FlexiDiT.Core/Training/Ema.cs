using FlexiDiT.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Training;

/// <summary>An exponential moving average of a model's parameters (DiT samples from the EMA weights).</summary>
public sealed class Ema
{
    private readonly (Tensor Ema, Tensor Live)[] pairs;

    /// <summary>Tracks <paramref name="live"/> in <paramref name="ema"/> (same architecture).</summary>
    public Ema(DiT ema, DiT live, double decay)
    {
        Decay = decay;
        Model = ema;
        var emaParams = ema.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        pairs = live.named_parameters().Select(p => (emaParams[p.name], (Tensor)p.parameter)).ToArray();
        foreach (var p in ema.parameters()) p.requires_grad = false;
    }

    /// <summary>The averaged model.</summary>
    public DiT Model { get; }
    /// <summary>The decay per update.</summary>
    public double Decay { get; }

    /// <summary>ema ← decay·ema + (1−decay)·live.</summary>
    public void Update()
    {
        using var _ = torch.no_grad();
        foreach (var (ema, live) in pairs) ema.mul_(Decay).add_(live, alpha: 1 - Decay);
    }

    /// <summary>Copies the live weights into the average (at the start of training).</summary>
    public void Reset()
    {
        using var _ = torch.no_grad();
        foreach (var (ema, live) in pairs) ema.copy_(live);
    }
}
