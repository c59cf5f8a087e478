using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Engine;

/// <summary>Parses the device a pack runs on: <c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</summary>
public static class EngineDevice
{
    /// <summary>The device named by <paramref name="name"/> (null or empty: the CPU); a clear error when CUDA is not there.</summary>
    public static Device Parse(string? name)
    {
        // Every engine starts here: fail with one clear line if TorchSharp's native library cannot load on this host.
        TorchNativeLibrary.EnsureLoaded();
        if (string.IsNullOrWhiteSpace(name) || name.Equals("cpu", StringComparison.OrdinalIgnoreCase)) return CPU;
        if (!name.StartsWith("cuda", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"Unknown device '{name}'; use cpu, cuda or cuda:N.", nameof(name));
        if (!torch.cuda.is_available())
            throw new ArgumentException($"Device '{name}' asked for, but CUDA is not available: build with -p:FlexiDiTCuda=true (TorchSharp-cuda-linux) on a machine with an NVIDIA GPU, or use cpu.", nameof(name));
        var device = torch.device(name.ToLowerInvariant());
        if (device.index >= torch.cuda.device_count())
            throw new ArgumentException($"Device '{name}' does not exist; this machine has {torch.cuda.device_count()} CUDA device(s).", nameof(name));
        return device;
    }
}
