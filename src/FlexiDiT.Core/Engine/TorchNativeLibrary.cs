using System.Runtime.InteropServices;
using System.Text;
using TorchSharp;

namespace FlexiDiT.Engine;

/// <summary>
/// Loads TorchSharp's native backend, turning its known failure on Debian 12 into one line that says what to do.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's <c>libLibTorchSharp.so</c> asks for <c>GLIBCXX_3.4.32</c> (GCC 13's libstdc++) for one unused
/// symbol; Debian 12 ships up to 3.4.30. The build step that FlexiDiT.Core brings (<c>buildTransitive</c>) patches the
/// copy in the app's output, but a build that skips it (a single-file publish, a copy taken from elsewhere) leaves the
/// original, and TorchSharp then reports a long, misleading "missing libtorch" trace.
/// </remarks>
public static class TorchNativeLibrary
{
    /// <summary>The libstdc++ symbol version TorchSharp's native library asks for.</summary>
    public const string RequiredGlibcxx = "GLIBCXX_3.4.32";

    private static readonly string[] HostLibstdcxxPaths =
        ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6"];

    private static volatile bool loaded;

    /// <summary>Loads the native backend once per process (later calls return at once).</summary>
    /// <exception cref="InvalidOperationException">
    /// The backend did not load and this Linux host's libstdc++ lacks <see cref="RequiredGlibcxx"/>; the message is one
    /// line saying how to fix it (the original error is the inner exception).
    /// </exception>
    public static void EnsureLoaded()
    {
        if (loaded) return;
        try
        {
            torch.InitializeDeviceType(DeviceType.CPU);
            loaded = true;
        }
        catch (Exception e) when (e is NotSupportedException or DllNotFoundException or TypeInitializationException && HostLacksRequiredGlibcxx(HostLibstdcxxPaths))
        {
            throw new InvalidOperationException(
                $"TorchSharp's native library needs {RequiredGlibcxx} (libstdc++ of GCC 13), which this system lacks, and it was not patched: " +
                "build or publish the app normally (not single-file) so FlexiDiT.Core's build step patches libLibTorchSharp.so, or install libstdc++ from GCC 13 or later.",
                e);
        }
    }

    /// <summary>
    /// Whether this is Linux and none of <paramref name="libstdcxxPaths"/> that exist provides <see cref="RequiredGlibcxx"/>
    /// (at least one must exist: with no libstdc++ found, the cause is something else).
    /// </summary>
    /// <param name="libstdcxxPaths">Where the host's libstdc++ may be.</param>
    /// <returns><see langword="true"/> when the native library cannot load unpatched here.</returns>
    public static bool HostLacksRequiredGlibcxx(IEnumerable<string> libstdcxxPaths)
    {
        ArgumentNullException.ThrowIfNull(libstdcxxPaths);
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Linux)) return false;
        var present = libstdcxxPaths.Where(File.Exists).ToList();
        return present.Count > 0 && !present.Any(p => Encoding.ASCII.GetString(File.ReadAllBytes(p)).Contains(RequiredGlibcxx, StringComparison.Ordinal));
    }
}
