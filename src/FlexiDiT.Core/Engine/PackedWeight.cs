using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Engine;

/// <summary>
/// A linear layer's float32 weight (out × in) and bias, rearranged once for <see cref="PackedGemm"/>: for each block of
/// <see cref="PackedGemm.KBlock"/> input features, for each panel of <see cref="PackedGemm.PanelWidth"/> outputs, the
/// panel's weights feature by feature. The micro-kernel then reads one panel as a single contiguous stream, which is what
/// keeps it in the first-level cache. Outputs past <see cref="Outputs"/> in the last panel are zero.
/// </summary>
/// <remarks>Holds its own copy in native memory: a later change of the layer's weight is not seen (inference on frozen weights).</remarks>
public sealed unsafe class PackedWeight : IDisposable
{
    private float* panels;
    private float* bias;

    /// <summary>Packs <paramref name="weight"/> (out × in, float32, CPU) and <paramref name="bias"/> (out, or null for none).</summary>
    /// <param name="weight">The weight.</param>
    /// <param name="bias">The bias, or null.</param>
    /// <exception cref="ArgumentException">The weight is not a 2-D float32 CPU tensor, or the bias does not match it.</exception>
    public PackedWeight(Tensor weight, Tensor? bias)
    {
        ArgumentNullException.ThrowIfNull(weight);
        if (weight.dim() != 2 || weight.dtype != ScalarType.Float32 || weight.device_type != DeviceType.CPU)
            throw new ArgumentException($"A packed weight is a 2-D float32 CPU tensor; got {weight.dtype} {weight.device_type} of shape [{string.Join(", ", weight.shape)}].", nameof(weight));
        if (bias is not null && (bias.dtype != ScalarType.Float32 || bias.device_type != DeviceType.CPU || bias.numel() != weight.shape[0]))
            throw new ArgumentException($"The bias must be float32 on the CPU with {weight.shape[0]} values.", nameof(bias));
        Outputs = checked((int)weight.shape[0]);
        Inputs = checked((int)weight.shape[1]);
        Panels = (Outputs + PackedGemm.PanelWidth - 1) / PackedGemm.PanelWidth;
        int padded = Panels * PackedGemm.PanelWidth;

        using var w = weight.detach().contiguous();
        var source = new ReadOnlySpan<float>((float*)TorchData.Pointer(w), checked(Outputs * Inputs));
        panels = (float*)NativeMemory.AlignedAlloc((nuint)((long)padded * Inputs * sizeof(float)), 64);
        long at = 0;
        for (int k0 = 0; k0 < Inputs; k0 += PackedGemm.KBlock)
        {
            int kc = Math.Min(PackedGemm.KBlock, Inputs - k0);
            for (int panel = 0; panel < Panels; panel++)
            {
                for (int k = k0; k < k0 + kc; k++)
                {
                    for (int lane = 0; lane < PackedGemm.PanelWidth; lane++)
                    {
                        int output = (panel * PackedGemm.PanelWidth) + lane;
                        panels[at++] = output < Outputs ? source[(output * Inputs) + k] : 0f;
                    }
                }
            }
        }

        this.bias = (float*)NativeMemory.AlignedAlloc((nuint)(padded * sizeof(float)), 64);
        new Span<float>(this.bias, padded).Clear();
        if (bias is not null)
        {
            using var b = bias.detach().contiguous();
            new ReadOnlySpan<float>((float*)TorchData.Pointer(b), Outputs).CopyTo(new Span<float>(this.bias, Outputs));
        }
    }

    /// <summary>Gets the number of outputs (the weight's rows).</summary>
    public int Outputs { get; }

    /// <summary>Gets the number of inputs (the weight's columns).</summary>
    public int Inputs { get; }

    /// <summary>Gets the native memory the packed copy holds, in bytes (panels and bias).</summary>
    public long Bytes => ((long)Panels * PackedGemm.PanelWidth * (Inputs + 1)) * sizeof(float);

    /// <summary>Gets the number of output panels (outputs rounded up to <see cref="PackedGemm.PanelWidth"/>).</summary>
    public int Panels { get; }

    /// <summary>Gets the packed weights of input block <paramref name="k0"/> (a multiple of <see cref="PackedGemm.KBlock"/>), panel <paramref name="panel"/>.</summary>
    internal float* Panel(int k0, int panel, int kc) => Live(panels) + PanelOffset(k0, panel, kc, Panels);

    /// <summary>Where panel <paramref name="panel"/> of input block <paramref name="k0"/> starts, in floats, in this layout with <paramref name="panels"/> panels.</summary>
    internal static long PanelOffset(int k0, int panel, int kc, int panels) => (((long)k0 * panels) + ((long)panel * kc)) * PackedGemm.PanelWidth;

    /// <summary>Gets the bias of panel <paramref name="panel"/> (zeros past the outputs, and everywhere without a bias).</summary>
    internal float* Bias(int panel) => Live(bias) + panel * PackedGemm.PanelWidth;

    /// <inheritdoc />
    public void Dispose()
    {
        NativeMemory.AlignedFree(panels);
        NativeMemory.AlignedFree(bias);
        panels = null;
        bias = null;
    }

    private static float* Live(float* data) => data != null ? data : throw new ObjectDisposedException(nameof(PackedWeight));
}
