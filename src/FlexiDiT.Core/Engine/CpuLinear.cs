using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Engine;

/// <summary>
/// y = x·Wᵀ + b as <c>F.linear</c> computes it, with the matrix product done by <see cref="OpenBlas"/> where that is
/// faster: inference in float32 on the CPU. Training (gradients on), other types and other devices use libtorch.
/// </summary>
/// <remarks>
/// The process-wide choice comes from the <c>FLEXIDIT_LINEAR</c> environment variable (<c>auto</c>, <c>torch</c> or
/// <c>openblas</c>; default <c>auto</c>), read once, or from <see cref="Backend"/>; <c>flexidit bench</c> reports the one in force.
/// </remarks>
public static partial class CpuLinear
{
    /// <summary>The environment variable that picks the process-wide backend.</summary>
    public const string Variable = "FLEXIDIT_LINEAR";

    private static readonly Lazy<LinearBackend> FromEnvironment = new(() => Parse(Environment.GetEnvironmentVariable(Variable), Variable));
    private static LinearBackend? chosen;
    private static readonly Lazy<bool> IntelCpu = new(() => CpuVendor() == "GenuineIntel");

    /// <summary>Gets or sets the process-wide backend: <see cref="Variable"/> until a program (e.g. <c>bench --linear</c>) sets it.</summary>
    public static LinearBackend Backend
    {
        get => chosen ?? FromEnvironment.Value;
        set => chosen = value;
    }

    /// <summary>Gets what the process-wide backend resolves to on this machine, in words (for reports).</summary>
    public static string Description => Describe(Backend);

    /// <summary>Parses a backend name (<c>auto</c>, <c>torch</c>, <c>openblas</c>; empty is auto).</summary>
    /// <param name="value">The name.</param>
    /// <param name="source">Where it came from, for the error message.</param>
    /// <returns>The backend.</returns>
    /// <exception cref="ArgumentException">The name is none of them.</exception>
    public static LinearBackend Parse(string? value, string source) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => LinearBackend.Auto,
        "torch" => LinearBackend.Torch,
        "openblas" => LinearBackend.OpenBlas,
        _ => throw new ArgumentException($"{source}: '{value}' is not a linear backend; use auto, torch or openblas", nameof(value)),
    };

    /// <summary>Tells whether <paramref name="backend"/> sends eligible products to OpenBLAS on this machine.</summary>
    /// <param name="backend">The backend.</param>
    /// <returns>True for OpenBLAS.</returns>
    /// <exception cref="InvalidOperationException"><see cref="LinearBackend.OpenBlas"/> was asked for and OpenBLAS is not installed.</exception>
    public static bool UsesOpenBlas(LinearBackend backend) => backend switch
    {
        LinearBackend.Torch => false,
        LinearBackend.OpenBlas => OpenBlas.IsAvailable ? true : throw new InvalidOperationException($"{Variable}=openblas: {OpenBlas.NotInstalledMessage}"),
        _ => OpenBlas.IsAvailable && !IntelCpu.Value,
    };

    /// <summary>Describes what <paramref name="backend"/> resolves to here.</summary>
    /// <param name="backend">The backend.</param>
    /// <returns>For example "openblas (OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64)".</returns>
    public static string Describe(LinearBackend backend) => UsesOpenBlas(backend)
        ? $"openblas ({OpenBlas.Configuration})"
        : backend == LinearBackend.Auto
            ? OpenBlas.IsAvailable ? "torch (Intel CPU: libtorch's oneMKL)" : "torch (OpenBLAS not installed)"
            : "torch";

    /// <summary><c>F.linear(x, weight, bias)</c> with the process-wide backend.</summary>
    /// <param name="x">Input, (..., in).</param>
    /// <param name="weight">Weight, (out, in).</param>
    /// <param name="bias">Bias, (out), or null.</param>
    /// <returns>(..., out).</returns>
    public static Tensor Linear(Tensor x, Tensor weight, Tensor? bias) => Linear(x, weight, bias, Backend);

    /// <summary><c>F.linear(x, weight, bias)</c>, the product done by <paramref name="backend"/> where it applies.</summary>
    /// <param name="x">Input, (..., in).</param>
    /// <param name="weight">Weight, (out, in).</param>
    /// <param name="bias">Bias, (out), or null.</param>
    /// <param name="backend">The backend.</param>
    /// <returns>(..., out).</returns>
    public static unsafe Tensor Linear(Tensor x, Tensor weight, Tensor? bias, LinearBackend backend)
    {
        if (!UsesOpenBlas(backend) || !Eligible(x, weight, bias)) return F.linear(x, weight, bias);

        using var a = x.contiguous();
        using var w = weight.contiguous();
        long n = w.shape[0], k = w.shape[1];
        long m = a.numel() / k;
        var shape = x.shape.ToArray();
        shape[^1] = n;
        var y = empty(shape, ScalarType.Float32);
        if (bias is not null) y.copy_(bias);
        OpenBlas.MultiplyByTransposed((int)m, (int)n, (int)k, Data(a), Data(w), bias is null ? 0f : 1f, Data(y), get_num_threads());
        return y;
    }

    private static bool Eligible(Tensor x, Tensor weight, Tensor? bias) =>
        !is_grad_enabled()
        && x.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32 && (bias is null || bias.dtype == ScalarType.Float32)
        && x.device_type == DeviceType.CPU && weight.device_type == DeviceType.CPU && (bias is null || bias.device_type == DeviceType.CPU)
        && weight.dim() == 2 && x.dim() >= 1 && x.shape[^1] == weight.shape[1] && x.numel() > 0
        && x.numel() <= int.MaxValue && weight.numel() <= int.MaxValue && x.numel() / weight.shape[1] * weight.shape[0] <= int.MaxValue;

    private static unsafe float* Data(Tensor contiguous) => (float*)TensorData(contiguous.Handle);

    private static string CpuVendor()
    {
        if (!X86Base.IsSupported) return "";
        var (_, ebx, ecx, edx) = X86Base.CpuId(0, 0);
        Span<byte> vendor = stackalloc byte[12];
        MemoryMarshal.Write(vendor, ebx);
        MemoryMarshal.Write(vendor[4..], edx);
        MemoryMarshal.Write(vendor[8..], ecx);
        return Encoding.ASCII.GetString(vendor);
    }

    // TorchSharp's native library gives a tensor's first element; TorchSharp itself does not expose it.
    [LibraryImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static partial nint TensorData(nint tensor);
}
