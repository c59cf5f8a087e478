using FlexiDiT.Platform;
using TorchSharp;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Engine;

/// <summary>
/// y = x·Wᵀ + b as <c>F.linear</c> computes it, with the matrix product done by <see cref="PackedGemm"/> or
/// <see cref="OpenBlas"/> where that is faster: inference in float32 on the CPU. Training (gradients on), other types and
/// other devices use libtorch.
/// </summary>
/// <remarks>
/// The process-wide choice comes from the <c>FLEXIDIT_LINEAR</c> environment variable (<c>auto</c>, <c>torch</c>,
/// <c>openblas</c> or <c>packed</c>; default <c>auto</c>), read once, or from <see cref="Backend"/>; <c>flexidit bench</c>
/// reports the one in force.
/// </remarks>
public static class CpuLinear
{
    /// <summary>The environment variable that picks the process-wide backend.</summary>
    public const string Variable = "FLEXIDIT_LINEAR";

    private static readonly Lazy<LinearBackend> FromEnvironment = new(() => Parse(Environment.GetEnvironmentVariable(Variable), Variable));
    private static LinearBackend? chosen;
    [ThreadStatic]
    private static int productThreads;

    /// <summary>Gets or sets the process-wide backend: <see cref="Variable"/> until a program (e.g. <c>bench --linear</c>) sets it.</summary>
    public static LinearBackend Backend
    {
        get => chosen ?? FromEnvironment.Value;
        set => chosen = value;
    }

    /// <summary>Gets what the process-wide backend resolves to on this machine, in words (for reports).</summary>
    public static string Description => Describe(Backend);

    /// <summary>Parses a backend name (<c>auto</c>, <c>torch</c>, <c>openblas</c>, <c>packed</c>; empty is auto).</summary>
    /// <param name="value">The name.</param>
    /// <param name="source">Where it came from, for the error message.</param>
    /// <returns>The backend.</returns>
    /// <exception cref="ArgumentException">The name is none of them.</exception>
    public static LinearBackend Parse(string? value, string source) => value?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => LinearBackend.Auto,
        "torch" => LinearBackend.Torch,
        "openblas" => LinearBackend.OpenBlas,
        "packed" => LinearBackend.Packed,
        _ => throw new ArgumentException($"{source}: '{value}' is not a linear backend; use auto, torch, openblas or packed", nameof(value)),
    };

    /// <summary>Gets the name <see cref="Parse"/> reads for <paramref name="backend"/>.</summary>
    /// <param name="backend">The backend.</param>
    /// <returns>auto, torch, openblas or packed.</returns>
    public static string Name(LinearBackend backend) => backend.ToString().ToLowerInvariant();

    /// <summary>Tells what <paramref name="backend"/> resolves to on this machine: never <see cref="LinearBackend.Auto"/>.</summary>
    /// <param name="backend">The backend.</param>
    /// <returns>The backend that runs eligible products.</returns>
    /// <exception cref="InvalidOperationException">OpenBLAS was asked for and is not installed, or the packed kernel on a CPU without AVX2 and FMA.</exception>
    public static LinearBackend Resolve(LinearBackend backend) => backend switch
    {
        LinearBackend.Torch => LinearBackend.Torch,
        LinearBackend.OpenBlas => OpenBlas.IsAvailable ? backend : throw new InvalidOperationException($"{Variable}=openblas: {OpenBlas.NotInstalledMessage}"),
        LinearBackend.Packed => PackedGemm.IsSupported ? backend : throw new InvalidOperationException($"{Variable}=packed: this CPU lacks AVX2 or FMA, which the packed kernel needs; use torch."),
        _ when CpuVendor.IsIntel => LinearBackend.Torch,
        _ when PackedGemm.IsSupported => LinearBackend.Packed,
        _ when OpenBlas.IsAvailable => LinearBackend.OpenBlas,
        _ => LinearBackend.Torch,
    };

    /// <summary>Gets whether the process-wide backend multiplies with packed weights, so a model frozen for inference should pack them.</summary>
    public static bool UsesPackedWeights => Resolve(Backend) == LinearBackend.Packed;

    /// <summary>Gets whether a model frozen for inference should pack <paramref name="weight"/>: the packed backend is in use and the weight is float32 on the CPU.</summary>
    /// <param name="weight">A linear layer's weight.</param>
    /// <returns>True where <see cref="PackedWeight"/> applies to it.</returns>
    public static bool ShouldPack(Tensor weight)
    {
        ArgumentNullException.ThrowIfNull(weight);
        return weight.dtype == ScalarType.Float32 && weight.device_type == DeviceType.CPU && UsesPackedWeights;
    }

    /// <summary>Describes what <paramref name="backend"/> resolves to here.</summary>
    /// <param name="backend">The backend.</param>
    /// <returns>For example "openblas (OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Zen MAX_THREADS=64)".</returns>
    public static string Describe(LinearBackend backend) => Resolve(backend) switch
    {
        LinearBackend.OpenBlas => $"openblas ({OpenBlas.Configuration})",
        LinearBackend.Packed => $"packed (the engine's {(PackedGemm.VectorBits == 512 ? "AVX-512" : "AVX2")} kernel on packed weights)",
        _ when backend != LinearBackend.Auto => "torch",
        _ => CpuVendor.IsIntel ? "torch (Intel CPU: libtorch's oneMKL)" : "torch (no AVX2 and FMA, OpenBLAS not installed)",
    };

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
    /// <remarks>A <see cref="LinearBackend.Packed"/> backend multiplies with OpenBLAS where installed, else libtorch: packing belongs to frozen models (<see cref="Linear(Tensor, PackedWeight, GemmActivation)"/>).</remarks>
    public static unsafe Tensor Linear(Tensor x, Tensor weight, Tensor? bias, LinearBackend backend)
    {
        var resolved = Resolve(backend);
        bool openBlas = resolved == LinearBackend.OpenBlas || (resolved == LinearBackend.Packed && OpenBlas.IsAvailable);
        if (!openBlas || !Eligible(x, weight, bias)) return F.linear(x, weight, bias);

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

    /// <summary>act(x·Wᵀ + b) with a weight packed for <see cref="PackedGemm"/>, on <see cref="ProductThreads"/> threads.</summary>
    /// <param name="x">Input, (..., in), float32 on the CPU.</param>
    /// <param name="weight">The packed weight and bias.</param>
    /// <param name="activation">What to apply to each output.</param>
    /// <returns>(..., out).</returns>
    public static Tensor Linear(Tensor x, PackedWeight weight, GemmActivation activation) => PackedGemm.Multiply(x, weight, activation, ProductThreads);

    /// <summary>
    /// Gets the threads the packed kernel uses on this thread: libtorch's, unless a small forward put libtorch on one
    /// thread (<see cref="KeepProductThreads"/>), which spares it the cost of waking sleeping OpenMP threads for each of
    /// many cheap ops; the kernel's own workers do not pay that cost, and the other cores are idle then.
    /// </summary>
    public static int ProductThreads => productThreads > 0 ? productThreads : get_num_threads();

    /// <summary>Keeps the packed kernel on <paramref name="threads"/> threads on this thread until disposed, whatever libtorch's count.</summary>
    /// <param name="threads">The threads.</param>
    /// <returns>What restores the previous count.</returns>
    public static IDisposable KeepProductThreads(int threads) => new ProductThreadsScope(threads);

    /// <summary>residual += gate ⊙ (x·Wᵀ + b) in place with a packed weight, on <see cref="ProductThreads"/> threads.</summary>
    /// <param name="x">Input, (N, T, in), float32 on the CPU.</param>
    /// <param name="weight">The packed weight and bias.</param>
    /// <param name="residual">The residual stream (N, T, out), contiguous: updated in place.</param>
    /// <param name="gate">The gate per image, (N, 1, out) or (N, out).</param>
    /// <returns><paramref name="residual"/>.</returns>
    public static Tensor LinearIntoResidual(Tensor x, PackedWeight weight, Tensor residual, Tensor gate) =>
        PackedGemm.MultiplyIntoResidual(x, weight, residual, gate, ProductThreads);

    /// <summary>Tells whether <paramref name="x"/> can go through a packed weight now: inference (no gradients) on a float32 CPU input.</summary>
    /// <param name="x">The input.</param>
    /// <returns>True when the packed kernel applies.</returns>
    public static bool CanUsePacked(Tensor x) => !is_grad_enabled() && x.dtype == ScalarType.Float32 && x.device_type == DeviceType.CPU && Resolve(Backend) == LinearBackend.Packed;

    private static bool Eligible(Tensor x, Tensor weight, Tensor? bias) =>
        !is_grad_enabled()
        && x.dtype == ScalarType.Float32 && weight.dtype == ScalarType.Float32 && (bias is null || bias.dtype == ScalarType.Float32)
        && x.device_type == DeviceType.CPU && weight.device_type == DeviceType.CPU && (bias is null || bias.device_type == DeviceType.CPU)
        && weight.dim() == 2 && x.dim() >= 1 && x.shape[^1] == weight.shape[1] && x.numel() > 0
        && x.numel() <= int.MaxValue && weight.numel() <= int.MaxValue && x.numel() / weight.shape[1] * weight.shape[0] <= int.MaxValue;

    private static unsafe float* Data(Tensor contiguous) => (float*)TorchData.Pointer(contiguous);

    private sealed class ProductThreadsScope : IDisposable
    {
        private readonly int previous = productThreads;

        public ProductThreadsScope(int threads) => productThreads = threads;

        public void Dispose() => productThreads = previous;
    }
}
