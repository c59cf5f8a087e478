using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Engine;

/// <summary>
/// y = act(x·Wᵀ + b) on the CPU in float32 with AVX2 and FMA, against a <see cref="PackedWeight"/>: the layered blocking
/// of BLIS and GotoBLAS (input blocks of <see cref="KBlock"/> features, row blocks packed per thread, a 6 × 16 register
/// tile), with two things a BLAS library cannot do: the weights are packed once when the model is frozen, not on every
/// call, and the activation (GELU) is applied to the tile while it is still in registers, which saves a pass over the
/// MLP's widest tensor.
/// </summary>
public static unsafe class PackedGemm
{
    /// <summary>Rows of the register tile: 6 × 2 accumulators, 2 weight vectors and a broadcast fill the 16 AVX registers.</summary>
    public const int Rows = 6;

    /// <summary>Outputs of the register tile and of a weight panel: two 8-float vectors.</summary>
    public const int PanelWidth = 16;

    /// <summary>Input features per block: a 256 × 16 weight panel (16 KiB) stays in the first-level cache while a row block streams past it.</summary>
    public const int KBlock = 256;

    // Rows packed at a time per thread: 72 × 256 floats (72 KiB) stay in the second-level cache.
    private const int RowBlock = 72;

    [ThreadStatic]
    private static float* packedRows;

    /// <summary>Gets whether this CPU runs the kernel (x86-64 with AVX2 and FMA).</summary>
    public static bool IsSupported => Avx2.IsSupported && Fma.IsSupported;

    /// <summary>act(x·Wᵀ + b) for <paramref name="x"/> (..., in), float32 on the CPU.</summary>
    /// <param name="x">The input.</param>
    /// <param name="weight">The packed weight and bias.</param>
    /// <param name="activation">What to apply to each output.</param>
    /// <param name="threads">How many threads share the product (the caller's thread is one of them).</param>
    /// <returns>(..., out), float32.</returns>
    /// <exception cref="ArgumentException">The input is not float32 on the CPU, or its last dimension is not the weight's input size.</exception>
    /// <exception cref="PlatformNotSupportedException">The CPU lacks AVX2 or FMA.</exception>
    public static Tensor Multiply(Tensor x, PackedWeight weight, GemmActivation activation, int threads)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (!IsSupported) throw new PlatformNotSupportedException("The packed float32 kernel needs a CPU with AVX2 and FMA.");
        if (x.dtype != ScalarType.Float32 || x.device_type != DeviceType.CPU || x.dim() < 1 || x.shape[^1] != weight.Inputs)
            throw new ArgumentException($"The input must be float32 on the CPU with {weight.Inputs} features last; got {x.dtype} {x.device_type} [{string.Join(", ", x.shape)}].", nameof(x));

        using var a = x.contiguous();
        var shape = x.shape.ToArray();
        shape[^1] = weight.Outputs;
        var y = empty(shape, ScalarType.Float32);
        int m = checked((int)(a.numel() / weight.Inputs));
        if (m > 0) Run(m, (float*)TorchData.Pointer(a), weight, (float*)TorchData.Pointer(y), activation, Math.Max(1, threads));
        return y;
    }

    private static void Run(int m, float* a, PackedWeight w, float* c, GemmActivation activation, int threads)
    {
        int tiles = (m + Rows - 1) / Rows;
        // Rows are split between threads when each gets at least two tiles; a short input splits the panels instead.
        bool byRows = tiles >= 2 * threads;
        int parts = Math.Min(threads, byRows ? tiles : w.Panels);
        if (parts <= 1)
        {
            Range(0, m, 0, w.Panels, a, w, c, activation, m);
            return;
        }
        // Each part is a block of whole tiles (or panels): no two threads write the same cache line of C except at part edges.
        var (aAt, cAt, wAt) = ((nint)a, (nint)c, w);
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, part =>
        {
            if (byRows)
                Range(Math.Min(m, tiles * part / parts * Rows), Math.Min(m, tiles * (part + 1) / parts * Rows), 0, wAt.Panels, (float*)aAt, wAt, (float*)cAt, activation, m);
            else
                Range(0, m, wAt.Panels * part / parts, wAt.Panels * (part + 1) / parts, (float*)aAt, wAt, (float*)cAt, activation, m);
        });
    }

    // Rows [r0, r1) × panels [p0, p1) of C.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Range(int r0, int r1, int p0, int p1, float* a, PackedWeight w, float* c, GemmActivation activation, int m)
    {
        if (packedRows == null) packedRows = (float*)NativeMemory.AlignedAlloc(RowBlock * KBlock * sizeof(float), 64);
        int k = w.Inputs, n = w.Outputs;
        for (int k0 = 0; k0 < k; k0 += KBlock)
        {
            int kc = Math.Min(KBlock, k - k0);
            bool first = k0 == 0, last = k0 + kc == k;
            var apply = last ? activation : GemmActivation.None;
            for (int i0 = r0; i0 < r1; i0 += RowBlock)
            {
                int mc = Math.Min(RowBlock, r1 - i0);
                PackRows(a + (long)i0 * k + k0, k, mc, kc, packedRows);
                for (int panel = p0; panel < p1; panel++)
                {
                    float* b = w.Panel(k0, panel, kc);
                    float* bias = first ? w.Bias(panel) : null;
                    int columns = Math.Min(PanelWidth, n - panel * PanelWidth);
                    for (int i = 0; i < mc; i += Rows)
                    {
                        float* tile = c + (long)(i0 + i) * n + panel * PanelWidth;
                        int rows = Math.Min(Rows, mc - i);
                        if (rows == Rows && columns == PanelWidth) Kernel(kc, packedRows + i * kc, b, tile, n, bias, apply);
                        else EdgeTile(kc, packedRows + i * kc, b, tile, n, bias, apply, rows, columns);
                    }
                }
            }
        }
    }

    // Rows of A → micro-panels of 6 rows, feature by feature (the kernel broadcasts consecutive floats); rows past the
    // end are zero.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackRows(float* a, int lda, int mc, int kc, float* packed)
    {
        for (int i = 0; i < mc; i += Rows)
        {
            int rows = Math.Min(Rows, mc - i);
            float* panel = packed + i * kc;
            for (int r = 0; r < Rows; r++)
            {
                float* row = a + (long)(i + r) * lda;
                for (int k = 0; k < kc; k++) panel[k * Rows + r] = r < rows ? row[k] : 0f;
            }
        }
    }

    // A tile cut by the last rows or outputs: computed whole in a scratch tile, then its valid part copied.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeTile(int kc, float* a, float* b, float* c, int ldc, float* bias, GemmActivation activation, int rows, int columns)
    {
        float* tile = stackalloc float[Rows * PanelWidth];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < columns; j++) tile[r * PanelWidth + j] = c[(long)r * ldc + j];
        Kernel(kc, a, b, tile, PanelWidth, bias, activation);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < columns; j++) c[(long)r * ldc + j] = tile[r * PanelWidth + j];
    }

    // C(6×16) = bias + A·B (first block) or C += A·B, then the activation on the last block.
    // Hot methods skip tiered compilation: a forward's first products would otherwise run as unoptimised code (tier 0),
    // and a process that keeps compiling new methods postpones the optimised tier.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel(int kc, float* a, float* b, float* c, int ldc, float* bias, GemmActivation activation)
    {
        Vector256<float> c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
        if (bias != null)
        {
            var low = Avx.LoadAlignedVector256(bias);
            var high = Avx.LoadAlignedVector256(bias + 8);
            c00 = c10 = c20 = c30 = c40 = c50 = low;
            c01 = c11 = c21 = c31 = c41 = c51 = high;
        }
        else
        {
            c00 = Avx.LoadVector256(c); c01 = Avx.LoadVector256(c + 8);
            c10 = Avx.LoadVector256(c + ldc); c11 = Avx.LoadVector256(c + ldc + 8);
            c20 = Avx.LoadVector256(c + (2 * ldc)); c21 = Avx.LoadVector256(c + (2 * ldc) + 8);
            c30 = Avx.LoadVector256(c + (3 * ldc)); c31 = Avx.LoadVector256(c + (3 * ldc) + 8);
            c40 = Avx.LoadVector256(c + (4 * ldc)); c41 = Avx.LoadVector256(c + (4 * ldc) + 8);
            c50 = Avx.LoadVector256(c + (5 * ldc)); c51 = Avx.LoadVector256(c + (5 * ldc) + 8);
        }

        for (int k = 0; k < kc; k++)
        {
            var b0 = Avx.LoadAlignedVector256(b);
            var b1 = Avx.LoadAlignedVector256(b + 8);
            var x = Avx.BroadcastScalarToVector256(a);
            c00 = Fma.MultiplyAdd(x, b0, c00); c01 = Fma.MultiplyAdd(x, b1, c01);
            x = Avx.BroadcastScalarToVector256(a + 1);
            c10 = Fma.MultiplyAdd(x, b0, c10); c11 = Fma.MultiplyAdd(x, b1, c11);
            x = Avx.BroadcastScalarToVector256(a + 2);
            c20 = Fma.MultiplyAdd(x, b0, c20); c21 = Fma.MultiplyAdd(x, b1, c21);
            x = Avx.BroadcastScalarToVector256(a + 3);
            c30 = Fma.MultiplyAdd(x, b0, c30); c31 = Fma.MultiplyAdd(x, b1, c31);
            x = Avx.BroadcastScalarToVector256(a + 4);
            c40 = Fma.MultiplyAdd(x, b0, c40); c41 = Fma.MultiplyAdd(x, b1, c41);
            x = Avx.BroadcastScalarToVector256(a + 5);
            c50 = Fma.MultiplyAdd(x, b0, c50); c51 = Fma.MultiplyAdd(x, b1, c51);
            a += Rows;
            b += PanelWidth;
        }

        Avx.Store(c, c00); Avx.Store(c + 8, c01);
        Avx.Store(c + ldc, c10); Avx.Store(c + ldc + 8, c11);
        Avx.Store(c + (2 * ldc), c20); Avx.Store(c + (2 * ldc) + 8, c21);
        Avx.Store(c + (3 * ldc), c30); Avx.Store(c + (3 * ldc) + 8, c31);
        Avx.Store(c + (4 * ldc), c40); Avx.Store(c + (4 * ldc) + 8, c41);
        Avx.Store(c + (5 * ldc), c50); Avx.Store(c + (5 * ldc) + 8, c51);

        // A separate pass over the tile, still in the first-level cache: a call inside this method (Exp is one) would make
        // the JIT spill the accumulators in the loop above.
        if (activation == GemmActivation.Gelu) GeluTile(c, ldc);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void GeluTile(float* c, int ldc)
    {
        for (int r = 0; r < Rows; r++, c += ldc)
        {
            Avx.Store(c, Gelu(Avx.LoadVector256(c)));
            Avx.Store(c + 8, Gelu(Avx.LoadVector256(c + 8)));
        }
    }

    /// <summary>GELU, tanh approximation: ½x(1 + tanh u) with u = √(2/π)(x + 0.044715x³), computed as x / (1 + e^(−2u)).</summary>
    /// <param name="x">Eight inputs.</param>
    /// <returns>Their GELU.</returns>
    public static Vector256<float> Gelu(Vector256<float> x)
    {
        const float TwoSqrtTwoOverPi = 1.5957691216057308f;
        var twoU = (x + (x * x * x * 0.044715f)) * TwoSqrtTwoOverPi;
        return x / (Vector256<float>.One + Vector256.Exp(-twoU));
    }
}
