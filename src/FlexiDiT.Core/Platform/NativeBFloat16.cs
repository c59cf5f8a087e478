using System.Runtime.InteropServices;

namespace FlexiDiT.Platform;

/// <summary>
/// Whether this CPU multiplies bfloat16 in hardware (AVX512-BF16 or AMX-BF16). Without it libtorch emulates
/// bfloat16 and <c>--bf16</c> turns from 1.6× faster into many times slower than float32: on a 2-core AMD EPYC
/// (AVX2 only) a training step of the Shapes DiT took 17× as long (0.07 against 1.22 steps/s at batch 16).
/// </summary>
public static class NativeBFloat16
{
    private static readonly Lazy<bool?> Detected = new(() =>
        RuntimeInformation.ProcessArchitecture == Architecture.X64 && File.Exists("/proc/cpuinfo")
            ? InCpuInfo(File.ReadAllText("/proc/cpuinfo"))
            : null);

    /// <summary>True or false where the CPU says (Linux on x86-64), null where it cannot be told.</summary>
    public static bool? OnThisCpu => Detected.Value;

    /// <summary>Reads the answer from the text of <c>/proc/cpuinfo</c> (null when it lists no flags).</summary>
    public static bool? InCpuInfo(string cpuInfo)
    {
        ArgumentNullException.ThrowIfNull(cpuInfo);
        var flagsLine = cpuInfo.Split('\n').FirstOrDefault(l => l.StartsWith("flags", StringComparison.Ordinal) && l.Contains(':'));
        if (flagsLine is null) return null;
        var flags = flagsLine[(flagsLine.IndexOf(':') + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return flags.Contains("avx512_bf16") || flags.Contains("amx_bf16");
    }

    /// <summary>
    /// Refuses <paramref name="option"/> on a CPU known to lack native bfloat16, saying what to do instead.
    /// </summary>
    public static void EnsureWorthIt(string option)
    {
        if (OnThisCpu == false)
        {
            throw new ArgumentException($"{option}: this CPU has no native bfloat16 (neither avx512_bf16 nor amx_bf16 in /proc/cpuinfo), so libtorch " +
                "would emulate it, many times slower than float32 (17× on a 2-core AMD EPYC). Run without it.");
        }
    }
}
