using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;

namespace FlexiDiT.Platform;

/// <summary>The CPU's vendor, from CPUID: the engine's kernels choose by it where vendors' cores differ (oneMKL's tuned path, full-width AVX-512).</summary>
internal static class CpuVendor
{
    private static readonly Lazy<string> Name = new(Read);

    /// <summary>Gets whether the CPU is Intel's ("GenuineIntel").</summary>
    public static bool IsIntel => Name.Value == "GenuineIntel";

    private static string Read()
    {
        if (!X86Base.IsSupported) return "";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> vendor = stackalloc byte[12];
        MemoryMarshal.Write(vendor, ebx);
        MemoryMarshal.Write(vendor[4..], edx);
        MemoryMarshal.Write(vendor[8..], ecx);
        return Encoding.ASCII.GetString(vendor);
    }
}
