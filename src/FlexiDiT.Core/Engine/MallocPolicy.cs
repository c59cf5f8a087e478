using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace FlexiDiT.Engine;

/// <summary>
/// Keeps the memory of freed tensors in glibc's heap for the next forward, unless the user tuned malloc
/// (<c>MALLOC_MMAP_THRESHOLD_</c> or <c>MALLOC_TRIM_THRESHOLD_</c> set): blocks up to 32 MiB come from the heap rather
/// than fresh mappings, and up to 128 MiB free at the heap's top stays mapped. With glibc's defaults a DiT forward's
/// activations (0.8–3 MiB each at DiT-S/2) kept being returned to the kernel and faulted back in, a page fault per 4 KiB
/// the next product wrote (about 1,000 per forward; roughly half as many with these settings, <c>perf stat -e page-faults</c>):
/// DiT-S/2 forwards were 3 % faster (median of 8 paired runs of <c>flexidit bench</c>, 2-core AMD EPYC; patch 4 unchanged).
/// The cost is up to 128 MiB a process keeps after a peak instead of returning it.
/// </summary>
internal static partial class MallocPolicy
{
    private const int MmapThresholdOption = -3; // M_MMAP_THRESHOLD in malloc.h
    private const int TrimThresholdOption = -1; // M_TRIM_THRESHOLD

    private const int MmapThreshold = 32 << 20; // glibc's largest allowed value on 64-bit
    private const int TrimThreshold = 128 << 20;

#pragma warning disable CA2255 // Must apply before the first model allocates, and the engine has no single entry point.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void KeepTensorMemory()
    {
        if (!OperatingSystem.IsLinux() || IsSet("MALLOC_MMAP_THRESHOLD_") || IsSet("MALLOC_TRIM_THRESHOLD_")) return;

        try
        {
            // Setting either one also stops glibc from moving the thresholds itself, so both are set.
            _ = SetOption(MmapThresholdOption, MmapThreshold);
            _ = SetOption(TrimThresholdOption, TrimThreshold);
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // A C library without mallopt: its allocator keeps its own policy.
        }
    }

    private static bool IsSet(string name) => Environment.GetEnvironmentVariable(name) is { Length: > 0 };

    [LibraryImport("libc", EntryPoint = "mallopt")]
    private static partial int SetOption(int option, int value);
}
