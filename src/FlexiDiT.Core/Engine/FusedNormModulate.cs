using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Engine;

/// <summary>
/// DiT's modulate(LayerNorm(x), shift, scale) = (x − μ)/σ · (1 + scale) + shift in one pass per row, float32 with AVX2:
/// libtorch runs it as a norm and a modulation, two passes over the tokens with an allocation each, which made them about
/// 6 % of a DiT-S/4 forward next to the packed kernel.
/// </summary>
public static unsafe class FusedNormModulate
{
    /// <summary>Gets whether this CPU runs it (AVX2 and FMA).</summary>
    public static bool IsSupported => PackedGemm.IsSupported;

    /// <summary>Tells whether <paramref name="x"/> suits the fused pass: contiguous float32 (N, T, D) on the CPU with D a multiple of 8.</summary>
    /// <param name="x">The tokens.</param>
    /// <returns>True when <see cref="Apply"/> takes it.</returns>
    public static bool Suits(Tensor x) =>
        IsSupported && x.dtype == ScalarType.Float32 && x.device_type == DeviceType.CPU && x.dim() == 3 && x.is_contiguous() && x.shape[2] % 8 == 0 && x.numel() <= int.MaxValue;

    /// <summary>(x − μ)/√(σ² + ε) · (1 + scale) + shift per token, μ and σ² over its features, into a new tensor.</summary>
    /// <param name="x">The tokens (N, T, D); see <see cref="Suits"/>.</param>
    /// <param name="shift">Per image, (N, 1, D) or (N, D).</param>
    /// <param name="scale">Per image, (N, 1, D) or (N, D).</param>
    /// <param name="epsilon">The norm's ε.</param>
    /// <param name="threads">Threads to share the rows (the caller's included).</param>
    /// <returns>The modulated tokens, (N, T, D).</returns>
    /// <exception cref="ArgumentException">The tokens do not suit, or shift and scale are not N × D float32.</exception>
    public static Tensor Apply(Tensor x, Tensor shift, Tensor scale, double epsilon, int threads)
    {
        ArgumentNullException.ThrowIfNull(x);
        if (!Suits(x)) throw new ArgumentException("The fused norm takes contiguous float32 CPU tokens (N, T, D) with D a multiple of 8.", nameof(x));
        long n = x.shape[0], t = x.shape[1], d = x.shape[2];
        foreach (var (name, table) in new[] { (nameof(shift), shift), (nameof(scale), scale) })
        {
            if (table.dtype != ScalarType.Float32 || table.device_type != DeviceType.CPU || table.numel() != n * d || table.shape[^1] != d)
                throw new ArgumentException($"{name} must be float32 on the CPU with {d} values for each of the {n} images.", name);
        }

        var (add, addStride) = TorchData.Rows(shift, out var shiftCopy);
        var (mul, mulStride) = TorchData.Rows(scale, out var scaleCopy);
        using var shifts = shiftCopy;
        using var scales = scaleCopy;
        var y = empty_like(x);
        var (from, to) = (TorchData.Pointer(x), TorchData.Pointer(y));
        int rows = (int)(n * t), width = (int)d, tokens = (int)t;
        int items = Math.Min(rows, 4 * Math.Max(1, threads)), perItem = (rows + items - 1) / items;
        GemmWorkers.Shared.Run((rows + perItem - 1) / perItem, threads, item =>
        {
            for (int row = item * perItem, end = Math.Min(rows, row + perItem); row < end; row++)
            {
                long image = row / tokens;
                Row((float*)from + ((long)row * width), (float*)to + ((long)row * width), (float*)add + (image * addStride), (float*)mul + (image * mulStride), width, (float)epsilon);
            }
        });
        return y;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Row(float* x, float* y, float* shift, float* scale, int d, float epsilon)
    {
        // Two passes (mean, then the squared deviations): as exact as libtorch's for rows of a few hundred features.
        var sum = Vector256<float>.Zero;
        for (int j = 0; j < d; j += 8) sum += Avx.LoadVector256(x + j);
        var mean = Vector256.Create(Vector256.Sum(sum) / d);
        var squares = Vector256<float>.Zero;
        for (int j = 0; j < d; j += 8)
        {
            var centred = Avx.LoadVector256(x + j) - mean;
            squares = Fma.MultiplyAdd(centred, centred, squares);
        }
        var inverse = Vector256.Create(1f / MathF.Sqrt((Vector256.Sum(squares) / d) + epsilon));
        for (int j = 0; j < d; j += 8)
        {
            var normed = (Avx.LoadVector256(x + j) - mean) * inverse;
            // normed · (1 + scale) + shift, as normed + normed · scale + shift
            Avx.Store(y + j, Fma.MultiplyAdd(normed, Avx.LoadVector256(scale + j), normed + Avx.LoadVector256(shift + j)));
        }
    }
}
