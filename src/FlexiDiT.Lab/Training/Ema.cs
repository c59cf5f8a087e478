using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Training;

/// <summary>
/// An exponential moving average of a model's parameters (DiT samples from the EMA weights). The decay warms
/// up as min(decay, (1 + n) / (10 + n)) over the n updates since the average started, so a short run's
/// average is not dominated by the initial weights (with a fixed 0.999, 37 % of the average is still the
/// initialisation after 1000 steps, and its samples are noise).
/// </summary>
public sealed class Ema
{
    private readonly (Tensor Ema, Tensor Live)[] pairs;

    /// <summary>Tracks <paramref name="live"/> in <paramref name="ema"/> (same architecture).</summary>
    public Ema(nn.Module ema, nn.Module live, double decay)
    {
        Decay = decay;
        Model = ema;
        var emaParams = ema.named_parameters().ToDictionary(p => p.name, p => (Tensor)p.parameter);
        pairs = live.named_parameters().Select(p => (emaParams[p.name], (Tensor)p.parameter)).ToArray();
        foreach (var p in ema.parameters()) p.requires_grad = false;
    }

    /// <summary>The averaged model.</summary>
    public nn.Module Model { get; }
    /// <summary>The target decay per update.</summary>
    public double Decay { get; }
    /// <summary>Updates since the average was (re)started; persisted with checkpoints.</summary>
    public long Updates { get; set; }

    /// <summary>The decay the next update uses.</summary>
    public double CurrentDecay => Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates));

    /// <summary>ema ← d·ema + (1−d)·live with the warmed-up decay d.</summary>
    public void Update()
    {
        double decay = CurrentDecay;
        using var _ = torch.no_grad();
        foreach (var (ema, live) in pairs) ema.mul_(decay).add_(live, alpha: 1 - decay);
        Updates++;
    }

    /// <summary>Restarts the average at the live weights.</summary>
    public void Reset()
    {
        using var _ = torch.no_grad();
        foreach (var (ema, live) in pairs) ema.copy_(live);
        Updates = 0;
    }
}
