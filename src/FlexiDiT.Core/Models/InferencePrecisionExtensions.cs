using FlexiDiT.Platform;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Models;

/// <summary>Turns an <see cref="InferencePrecision"/> into the tensor type to run, on this machine.</summary>
public static class InferencePrecisionExtensions
{
    /// <summary>
    /// The tensor type <paramref name="precision"/> means on <paramref name="device"/>: auto is bfloat16 only on a CPU
    /// with native bfloat16 (float32 on GPUs and elsewhere); bfloat16 on a CPU without it is refused, since libtorch
    /// would emulate it many times slower than float32.
    /// </summary>
    /// <param name="precision">The requested precision.</param>
    /// <param name="device">Where the model runs (default: CPU).</param>
    /// <param name="option">The option's name, for the error message.</param>
    public static ScalarType Resolve(this InferencePrecision precision, Device? device = null, string option = "precision")
    {
        bool cpu = device is null || device.type == DeviceType.CPU;
        return precision switch
        {
            InferencePrecision.Float32 => ScalarType.Float32,
            InferencePrecision.Auto => cpu && NativeBFloat16.OnThisCpu == true ? ScalarType.BFloat16 : ScalarType.Float32,
            InferencePrecision.BFloat16 => EnsureNative(cpu, option),
            _ => throw new ArgumentOutOfRangeException(nameof(precision), precision, $"{option} must be auto, float32 or bfloat16."),
        };
    }

    /// <summary>Parses auto, float32 or bfloat16 (case-insensitive), naming <paramref name="option"/> when it is none of them.</summary>
    public static InferencePrecision Parse(string value, string option = "precision")
    {
        ArgumentNullException.ThrowIfNull(value);
        return value.Trim().ToLowerInvariant() switch
        {
            "auto" => InferencePrecision.Auto,
            "float32" or "fp32" => InferencePrecision.Float32,
            "bfloat16" or "bf16" => InferencePrecision.BFloat16,
            _ => throw new ArgumentException($"{option} must be auto, float32 or bfloat16 (got '{value}')."),
        };
    }

    private static ScalarType EnsureNative(bool cpu, string option)
    {
        if (cpu) NativeBFloat16.EnsureWorthIt($"{option} bfloat16");
        return ScalarType.BFloat16;
    }
}
