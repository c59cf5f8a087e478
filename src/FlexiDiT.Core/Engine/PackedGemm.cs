using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Engine;

/// <summary>
/// y = act(x·Wᵀ + b) on the CPU in float32 with AVX2 and FMA, against a <see cref="PackedWeight"/>: the layered blocking
/// of BLIS and GotoBLAS (input blocks of <see cref="KBlock"/> features, the input packed once per product into 6-row
/// micro-panels, a register tile of 6 rows × 16 outputs, or 6 × 32 with Intel's AVX-512: <see cref="VectorBits"/>), with what a BLAS library cannot do: the weights are packed once when the model
/// is frozen, not on every call; the activation (GELU) is applied to each tile while it is still in the first-level cache,
/// which saves a pass over the MLP's widest tensor; and DiT's gated residual update is added into the residual stream per
/// work item (<see cref="MultiplyIntoResidual"/>). Threads: <see cref="GemmWorkers"/>.
/// </summary>
public static unsafe partial class PackedGemm
{
    /// <summary>Rows of the register tile: 6 × 2 accumulators, 2 weight vectors and a broadcast fill the 16 AVX registers.</summary>
    public const int Rows = 6;

    /// <summary>Outputs of a weight panel and of the 256-bit register tile (two 8-float vectors); the 512-bit tile covers two panels.</summary>
    public const int PanelWidth = 16;

    /// <summary>Input features per block: a 256 × 16 weight panel (16 KiB) stays in the first-level cache while a row block streams past it.</summary>
    public const int KBlock = 256;

    // Rows per work item at most: their packed block of 256 × 256 floats (256 KiB) stays in the second-level cache.
    private const int RowBlock = 256;

    // Work items per thread: enough that a thread that starts late or is interrupted leaves its share to the others.
    private const int ItemsPerThread = 8;

    // The packed input a thread keeps between products (16 MiB); products with more rows × features go in row chunks.
    private const long PackedInputFloats = 4L << 20;

    [ThreadStatic]
    private static float* packedInput;

    [ThreadStatic]
    private static long packedInputCapacity;

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
        ValidateInput(x, weight);
        using var a = x.contiguous();
        var shape = x.shape.ToArray();
        shape[^1] = weight.Outputs;
        var y = empty(shape, ScalarType.Float32);
        int m = checked((int)(a.numel() / weight.Inputs));
        if (m > 0) Run(m, (float*)TorchData.Pointer(a), weight, (float*)TorchData.Pointer(y), activation, null, Math.Max(1, threads));
        return y;
    }

    /// <summary>
    /// residual += gate ⊙ (x·Wᵀ + b), in place: DiT's gated residual update after the attention projection and the MLP.
    /// Each part of the product is added into the residual stream while it is still in cache, instead of by a pass of its own.
    /// </summary>
    /// <param name="x">The input, (N, T, in) or (N·T, in), float32 on the CPU.</param>
    /// <param name="weight">The packed weight and bias.</param>
    /// <param name="residual">The residual stream, (N, T, out), contiguous float32: updated in place.</param>
    /// <param name="gate">The gate per image, (N, 1, out) or (N, out), float32.</param>
    /// <param name="threads">How many threads share the product (the caller's thread is one of them).</param>
    /// <returns><paramref name="residual"/>.</returns>
    /// <exception cref="ArgumentException">A shape, type or layout does not match.</exception>
    public static Tensor MultiplyIntoResidual(Tensor x, PackedWeight weight, Tensor residual, Tensor gate, int threads)
    {
        ValidateInput(x, weight);
        ArgumentNullException.ThrowIfNull(residual);
        ArgumentNullException.ThrowIfNull(gate);
        long m = x.numel() / weight.Inputs;
        if (residual.dtype != ScalarType.Float32 || residual.device_type != DeviceType.CPU || !residual.is_contiguous() || residual.numel() != m * weight.Outputs)
            throw new ArgumentException($"The residual must be a contiguous float32 CPU tensor of {m} × {weight.Outputs} values.", nameof(residual));
        long images = gate.numel() / weight.Outputs;
        if (gate.dtype != ScalarType.Float32 || gate.device_type != DeviceType.CPU || gate.shape[^1] != weight.Outputs || images < 1 || m % images != 0)
            throw new ArgumentException($"The gate must be float32 on the CPU with {weight.Outputs} values per image, and the {m} rows a whole number of tokens per image.", nameof(gate));

        using var a = x.contiguous();
        var (gates, gateStride) = TorchData.Rows(gate, out var gateCopy);
        using var g = gateCopy;
        using var y = empty([m, weight.Outputs], ScalarType.Float32);
        var epilogue = new GatedResidual((float*)TorchData.Pointer(residual), (float*)gates, gateStride, checked((int)(m / images)));
        if (m > 0) Run(checked((int)m), (float*)TorchData.Pointer(a), weight, (float*)TorchData.Pointer(y), GemmActivation.None, epilogue, Math.Max(1, threads));
        return residual;
    }

    private static void ValidateInput(Tensor x, PackedWeight weight)
    {
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(weight);
        if (!IsSupported) throw new PlatformNotSupportedException("The packed float32 kernel needs a CPU with AVX2 and FMA.");
        if (x.dtype != ScalarType.Float32 || x.device_type != DeviceType.CPU || x.dim() < 1 || x.shape[^1] != weight.Inputs)
            throw new ArgumentException($"The input must be float32 on the CPU with {weight.Inputs} features last; got {x.dtype} {x.device_type} [{string.Join(", ", x.shape)}].", nameof(x));
    }

    private static void Run(int m, float* a, PackedWeight w, float* c, GemmActivation activation, GatedResidual? residual, int threads)
    {
        int chunk = (int)Math.Max(Rows, PackedInputFloats / w.Inputs / Rows * Rows);
        for (int r0 = 0; r0 < m; r0 += chunk) RunRows(r0, Math.Min(m, r0 + chunk), a, w, c, activation, residual, threads);
    }

    // Rows [r0, r1) of the product: their input packed (by every thread, a share each), then C in items of at most
    // RowBlock rows × a group of panels. Rows are split only as far as the second-level cache needs and panels for the
    // rest: every item streams its panels of the weight from memory once for all its rows, and at DiT's 128 and 512 rows
    // (patch 4 and 2, batch 2) that was 5–14 % and 0–4 % faster than items of 18 to 72 rows that each streamed the whole
    // weight (2-core AMD EPYC, weights cold as in a forward).
    private static void RunRows(int r0, int r1, float* a, PackedWeight w, float* c, GemmActivation activation, GatedResidual? residual, int threads)
    {
        int k = w.Inputs, m = r1 - r0, groups = (m + Rows - 1) / Rows;
        long floats = (long)groups * Rows * k;
        if (packedInputCapacity < floats)
        {
            NativeMemory.AlignedFree(packedInput);
            packedInput = null;
            packedInput = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
            packedInputCapacity = floats;
        }

        var (aAt, cAt, packedAt) = ((nint)(a + ((long)r0 * k)), (nint)(c + ((long)r0 * w.Outputs)), (nint)packedInput);
        int packItems = Math.Min(groups, 2 * threads), groupsPerPack = (groups + packItems - 1) / packItems;
        GemmWorkers.Shared.Run((groups + groupsPerPack - 1) / groupsPerPack, threads, item =>
        {
            int from = item * groupsPerPack * Rows;
            PackInput((float*)aAt, k, from, Math.Min(m, from + (groupsPerPack * Rows)), groups * Rows, (float*)packedAt);
        });

        int rowItems = (m + RowBlock - 1) / RowBlock;
        int rowsPerItem = ((m + rowItems - 1) / rowItems + Rows - 1) / Rows * Rows;
        rowItems = (m + rowsPerItem - 1) / rowsPerItem;
        int panelGroups = threads == 1 ? 1 : Math.Clamp((ItemsPerThread * threads + rowItems - 1) / rowItems, 1, w.Panels);
        bool wide = VectorBits == 512;
        int panelsPerGroup = (w.Panels + panelGroups - 1) / panelGroups;
        if (wide) panelsPerGroup += panelsPerGroup % 2; // whole pairs for the wide tile
        panelGroups = (w.Panels + panelsPerGroup - 1) / panelsPerGroup;
        GemmWorkers.Shared.Run(rowItems * panelGroups, threads, item =>
        {
            int i0 = item / panelGroups * rowsPerItem, p0 = item % panelGroups * panelsPerGroup;
            int i1 = Math.Min(m, i0 + rowsPerItem), p1 = Math.Min(w.Panels, p0 + panelsPerGroup);
            Item(i0, i1, p0, p1, (float*)packedAt, groups * Rows, w, (float*)cAt, activation, wide);
            residual?.Add((float*)cAt, w.Outputs, r0, i0, i1, p0 * PanelWidth, Math.Min(w.Outputs, p1 * PanelWidth));
        });
    }

    // Rows [from, to) of A (lda = k) into the packed input: for each block of KBlock features, all rows' micro-panels,
    // one after the other (block k0 starts at k0 · paddedRows).
    private static void PackInput(float* a, int k, int from, int to, int paddedRows, float* packed)
    {
        for (int k0 = 0; k0 < k; k0 += KBlock)
        {
            int kc = Math.Min(KBlock, k - k0);
            PackRows(a + ((long)from * k) + k0, k, to - from, kc, packed + ((long)k0 * paddedRows) + ((long)from * kc));
        }
    }

    // Rows [i0, i1) × panels [p0, p1) of C, from the packed input; wide: on the 512-bit tile.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Item(int i0, int i1, int p0, int p1, float* packed, int paddedRows, PackedWeight w, float* c, GemmActivation activation, bool wide)
    {
        int k = w.Inputs, n = w.Outputs;
        for (int k0 = 0; k0 < k; k0 += KBlock)
        {
            int kc = Math.Min(KBlock, k - k0);
            var apply = k0 + kc == k ? activation : GemmActivation.None;
            float* block = packed + ((long)k0 * paddedRows);
            for (int panel = p0; panel < p1; panel++)
            {
                float* b = w.Panel(k0, panel, kc);
                float* bias = k0 == 0 ? w.Bias(panel) : null;
                float* tiles = c + ((long)i0 * n) + (panel * PanelWidth);
                int columns = n - (panel * PanelWidth);
                // With 512-bit vectors a tile row is two whole panels, which lie one after the other in the packed weight.
                if (wide && panel + 1 < p1 && columns >= 2 * PanelWidth)
                {
                    MultiplyPanel<Vector512<float>, Lanes512>(i1 - i0, kc, block + ((long)i0 * kc), b, tiles, n, 2 * PanelWidth, bias, apply);
                    panel++;
                }
                else
                {
                    MultiplyPanel<Vector256<float>, Lanes256>(i1 - i0, kc, block + ((long)i0 * kc), b, tiles, n, Math.Min(PanelWidth, columns), bias, apply);
                }
            }
        }
    }

    /// <summary>
    /// C (rows × the first <paramref name="columns"/> outputs, row stride <paramref name="ldc"/>) = bias + A·B, or C += A·B
    /// where <paramref name="bias"/> is null, then the activation: A a packed row block (6-row micro-panels of
    /// <paramref name="kc"/> features, <see cref="PackRows"/>), B one weight panel of <paramref name="kc"/> × 16.
    /// </summary>
    internal static void MultiplyPanel(int rows, int kc, float* a, float* b, float* c, int ldc, int columns, float* bias, GemmActivation activation) =>
        MultiplyPanel<Vector256<float>, Lanes256>(rows, kc, a, b, c, ldc, columns, bias, activation);

    // The same with a tile row of two TLanes vectors: one panel (256-bit) or two consecutive ones (512-bit, whole panels only).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MultiplyPanel<TVector, TLanes>(int rows, int kc, float* a, float* b, float* c, int ldc, int columns, float* bias, GemmActivation activation)
        where TVector : struct
        where TLanes : struct, ILanes<TVector>
    {
        for (int i = 0; i < rows; i += Rows)
        {
            int tileRows = Math.Min(Rows, rows - i);
            if (columns == 2 * TLanes.Width) Tile<TVector, TLanes>(tileRows, kc, a + ((long)i * kc), b, c + ((long)i * ldc), ldc, bias, activation);
            else EdgeTile(kc, a + ((long)i * kc), b, c + ((long)i * ldc), ldc, bias, activation, tileRows, columns);
        }
    }

    // residual[r, j] += gate[image of r, j] · c[r, j], for one item's block of C while it is still in cache (gateStride:
    // floats from one image's gate to the next').
    private sealed class GatedResidual(float* residual, float* gate, long gateStride, int tokensPerImage)
    {
        [MethodImpl(MethodImplOptions.AggressiveOptimization)]
        // Rows [i0, i1) of a chunk that starts at row first; c points at the chunk.
        public void Add(float* c, int n, int first, int i0, int i1, int j0, int j1)
        {
            for (int i = i0; i < i1; i++)
            {
                int r = first + i;
                float* from = c + ((long)i * n), to = residual + ((long)r * n), g = gate + (r / tokensPerImage * gateStride);
                int j = j0;
                for (; j + 8 <= j1; j += 8) Avx.Store(to + j, Fma.MultiplyAdd(Avx.LoadVector256(g + j), Avx.LoadVector256(from + j), Avx.LoadVector256(to + j)));
                for (; j < j1; j++) to[j] = MathF.FusedMultiplyAdd(g[j], from[j], to[j]);
            }
        }
    }

    /// <summary>
    /// Stores the 8 × 8 block of rows <paramref name="r0"/> … <paramref name="r7"/> transposed: column j (the j-th float of
    /// every row) at <paramref name="to"/> + j · <paramref name="stride"/>, in increasing j (a stride under 8 overlaps).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void StoreTransposed(Vector256<float> r0, Vector256<float> r1, Vector256<float> r2, Vector256<float> r3,
        Vector256<float> r4, Vector256<float> r5, Vector256<float> r6, Vector256<float> r7, float* to, int stride)
    {
        var t0 = Avx.UnpackLow(r0, r1); var t1 = Avx.UnpackHigh(r0, r1);
        var t2 = Avx.UnpackLow(r2, r3); var t3 = Avx.UnpackHigh(r2, r3);
        var t4 = Avx.UnpackLow(r4, r5); var t5 = Avx.UnpackHigh(r4, r5);
        var t6 = Avx.UnpackLow(r6, r7); var t7 = Avx.UnpackHigh(r6, r7);
        var u0 = Avx.Shuffle(t0, t2, 0x44); var u1 = Avx.Shuffle(t0, t2, 0xEE);
        var u2 = Avx.Shuffle(t1, t3, 0x44); var u3 = Avx.Shuffle(t1, t3, 0xEE);
        var u4 = Avx.Shuffle(t4, t6, 0x44); var u5 = Avx.Shuffle(t4, t6, 0xEE);
        var u6 = Avx.Shuffle(t5, t7, 0x44); var u7 = Avx.Shuffle(t5, t7, 0xEE);
        Avx.Store(to, Avx.Permute2x128(u0, u4, 0x20));
        Avx.Store(to + stride, Avx.Permute2x128(u1, u5, 0x20));
        Avx.Store(to + (2 * stride), Avx.Permute2x128(u2, u6, 0x20));
        Avx.Store(to + (3 * stride), Avx.Permute2x128(u3, u7, 0x20));
        Avx.Store(to + (4 * stride), Avx.Permute2x128(u0, u4, 0x31));
        Avx.Store(to + (5 * stride), Avx.Permute2x128(u1, u5, 0x31));
        Avx.Store(to + (6 * stride), Avx.Permute2x128(u2, u6, 0x31));
        Avx.Store(to + (7 * stride), Avx.Permute2x128(u3, u7, 0x31));
    }

    // Rows of A → micro-panels of 6 rows, feature by feature (the kernel broadcasts consecutive floats); rows past the
    // end are zero. Eight features of the 6 rows (and 2 zero rows) at a time are transposed in registers; each
    // transposed column of 8 is stored whole, its 2 extra floats overwritten by the next column's store. The last
    // feature is always copied alone, so no store reaches past the micro-panel (another thread may be packing the next).
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    internal static void PackRows(float* a, int lda, int mc, int kc, float* packed)
    {
        for (int i = 0; i < mc; i += Rows)
        {
            int rows = Math.Min(Rows, mc - i);
            float* panel = packed + i * kc;
            float* r0 = a + (long)i * lda;
            int k = 0;
            for (; k + 9 <= kc; k += 8)
            {
                var v0 = Avx.LoadVector256(r0 + k);
                var v1 = rows > 1 ? Avx.LoadVector256(r0 + lda + k) : Vector256<float>.Zero;
                var v2 = rows > 2 ? Avx.LoadVector256(r0 + (2 * lda) + k) : Vector256<float>.Zero;
                var v3 = rows > 3 ? Avx.LoadVector256(r0 + (3 * lda) + k) : Vector256<float>.Zero;
                var v4 = rows > 4 ? Avx.LoadVector256(r0 + (4 * lda) + k) : Vector256<float>.Zero;
                var v5 = rows > 5 ? Avx.LoadVector256(r0 + (5 * lda) + k) : Vector256<float>.Zero;
                StoreTransposed(v0, v1, v2, v3, v4, v5, Vector256<float>.Zero, Vector256<float>.Zero, panel + (k * Rows), Rows);
            }

            for (int r = 0; r < Rows; r++)
            {
                float* row = r0 + (long)r * lda;
                if (r < rows)
                {
                    for (int j = k; j < kc; j++) panel[j * Rows + r] = row[j];
                }
                else
                {
                    for (int j = k; j < kc; j++) panel[j * Rows + r] = 0f;
                }
            }
        }
    }

    // A tile cut by the last outputs: computed whole in a scratch tile, then its valid part copied.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void EdgeTile(int kc, float* a, float* b, float* c, int ldc, float* bias, GemmActivation activation, int rows, int columns)
    {
        float* tile = stackalloc float[Rows * PanelWidth];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < columns; j++) tile[r * PanelWidth + j] = c[(long)r * ldc + j];
        Kernel<SixRows, Vector256<float>, Lanes256>(kc, a, b, tile, PanelWidth, bias, activation);
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < columns; j++) c[(long)r * ldc + j] = tile[r * PanelWidth + j];
    }

    // A whole tile (16 or 32 outputs) of 1 to 6 rows: the last rows of a product whose row count is not a multiple of 6
    // cost their own rows' multiply-adds, not a whole tile's (128 rows = 21 tiles of 6 and one of 2).
    private static void Tile<TVector, TLanes>(int rows, int kc, float* a, float* b, float* c, int ldc, float* bias, GemmActivation activation)
        where TVector : struct
        where TLanes : struct, ILanes<TVector>
    {
        switch (rows)
        {
            case 6: Kernel<SixRows, TVector, TLanes>(kc, a, b, c, ldc, bias, activation); break;
            case 5: Kernel<FiveRows, TVector, TLanes>(kc, a, b, c, ldc, bias, activation); break;
            case 4: Kernel<FourRows, TVector, TLanes>(kc, a, b, c, ldc, bias, activation); break;
            case 3: Kernel<ThreeRows, TVector, TLanes>(kc, a, b, c, ldc, bias, activation); break;
            case 2: Kernel<TwoRows, TVector, TLanes>(kc, a, b, c, ldc, bias, activation); break;
            default: Kernel<OneRow, TVector, TLanes>(kc, a, b, c, ldc, bias, activation); break;
        }
    }

    // The tile's row count as a type: the JIT compiles Kernel once per count with TRows.Count a constant, so the rows
    // past it and their accumulators vanish from the code (the 6-row kernel keeps its 12 accumulators in registers).
    private interface ITileRows
    {
        static abstract int Count { get; }
    }

    private struct OneRow : ITileRows { public static int Count => 1; }

    private struct TwoRows : ITileRows { public static int Count => 2; }

    private struct ThreeRows : ITileRows { public static int Count => 3; }

    private struct FourRows : ITileRows { public static int Count => 4; }

    private struct FiveRows : ITileRows { public static int Count => 5; }

    private struct SixRows : ITileRows { public static int Count => 6; }

    // C(rows × 2 vectors) = bias + A·B (first block) or C += A·B, then the activation on the last block. A is a 6-row
    // micro-panel (rows past TRows.Count are not read); a row's second vector of weights is TLanes.Second floats after its
    // first. Hot methods skip tiered compilation: a forward's first products would otherwise run as unoptimised code
    // (tier 0), and a process that keeps compiling new methods postpones the optimised tier.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Kernel<TRows, TVector, TLanes>(int kc, float* a, float* b, float* c, int ldc, float* bias, GemmActivation activation)
        where TRows : struct, ITileRows
        where TVector : struct
        where TLanes : struct, ILanes<TVector>
    {
        int width = TLanes.Width;
        long second = TLanes.Second(kc);
        TVector c00, c01, c10 = default, c11 = default, c20 = default, c21 = default, c30 = default, c31 = default,
            c40 = default, c41 = default, c50 = default, c51 = default;
        if (bias != null)
        {
            var low = TLanes.LoadAligned(bias);
            var high = TLanes.LoadAligned(bias + width);
            c00 = c10 = c20 = c30 = c40 = c50 = low;
            c01 = c11 = c21 = c31 = c41 = c51 = high;
        }
        else
        {
            c00 = TLanes.Load(c); c01 = TLanes.Load(c + width);
            if (TRows.Count > 1) { c10 = TLanes.Load(c + ldc); c11 = TLanes.Load(c + ldc + width); }
            if (TRows.Count > 2) { c20 = TLanes.Load(c + (2 * ldc)); c21 = TLanes.Load(c + (2 * ldc) + width); }
            if (TRows.Count > 3) { c30 = TLanes.Load(c + (3 * ldc)); c31 = TLanes.Load(c + (3 * ldc) + width); }
            if (TRows.Count > 4) { c40 = TLanes.Load(c + (4 * ldc)); c41 = TLanes.Load(c + (4 * ldc) + width); }
            if (TRows.Count > 5) { c50 = TLanes.Load(c + (5 * ldc)); c51 = TLanes.Load(c + (5 * ldc) + width); }
        }

        for (int k = 0; k < kc; k++)
        {
            var b0 = TLanes.LoadAligned(b);
            var b1 = TLanes.LoadAligned(b + second);
            var x = TLanes.Broadcast(a);
            c00 = TLanes.MultiplyAdd(x, b0, c00); c01 = TLanes.MultiplyAdd(x, b1, c01);
            if (TRows.Count > 1)
            {
                x = TLanes.Broadcast(a + 1);
                c10 = TLanes.MultiplyAdd(x, b0, c10); c11 = TLanes.MultiplyAdd(x, b1, c11);
            }

            if (TRows.Count > 2)
            {
                x = TLanes.Broadcast(a + 2);
                c20 = TLanes.MultiplyAdd(x, b0, c20); c21 = TLanes.MultiplyAdd(x, b1, c21);
            }

            if (TRows.Count > 3)
            {
                x = TLanes.Broadcast(a + 3);
                c30 = TLanes.MultiplyAdd(x, b0, c30); c31 = TLanes.MultiplyAdd(x, b1, c31);
            }

            if (TRows.Count > 4)
            {
                x = TLanes.Broadcast(a + 4);
                c40 = TLanes.MultiplyAdd(x, b0, c40); c41 = TLanes.MultiplyAdd(x, b1, c41);
            }

            if (TRows.Count > 5)
            {
                x = TLanes.Broadcast(a + 5);
                c50 = TLanes.MultiplyAdd(x, b0, c50); c51 = TLanes.MultiplyAdd(x, b1, c51);
            }

            a += Rows;
            b += PanelWidth;
        }

        TLanes.Store(c, c00); TLanes.Store(c + width, c01);
        if (TRows.Count > 1) { TLanes.Store(c + ldc, c10); TLanes.Store(c + ldc + width, c11); }
        if (TRows.Count > 2) { TLanes.Store(c + (2 * ldc), c20); TLanes.Store(c + (2 * ldc) + width, c21); }
        if (TRows.Count > 3) { TLanes.Store(c + (3 * ldc), c30); TLanes.Store(c + (3 * ldc) + width, c31); }
        if (TRows.Count > 4) { TLanes.Store(c + (4 * ldc), c40); TLanes.Store(c + (4 * ldc) + width, c41); }
        if (TRows.Count > 5) { TLanes.Store(c + (5 * ldc), c50); TLanes.Store(c + (5 * ldc) + width, c51); }

        // A separate pass over the tile, still in the first-level cache: a call inside this method (Exp is one) would make
        // the JIT spill the accumulators in the loop above.
        if (activation == GemmActivation.Gelu) GeluTile(c, ldc, TRows.Count, 2 * width);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void GeluTile(float* c, int ldc, int rows, int columns)
    {
        for (int r = 0; r < rows; r++, c += ldc)
        {
            for (int j = 0; j < columns; j += 8) Avx.Store(c + j, Gelu(Avx.LoadVector256(c + j)));
        }
    }

    /// <summary>GELU, tanh approximation: ½x(1 + tanh u) with u = √(2/π)(x + 0.044715x³), computed as x / (1 + e^(−2u)).</summary>
    /// <param name="x">Eight inputs.</param>
    /// <returns>Their GELU.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Gelu(Vector256<float> x)
    {
        const float MinusTwoSqrtTwoOverPi = -1.5957691216057308f;
        var minusTwoU = Fma.MultiplyAdd(x * x * x, Vector256.Create(0.044715f), x) * MinusTwoSqrtTwoOverPi;
        return x / (Vector256<float>.One + Exp(minusTwoU));
    }

    /// <summary>
    /// e^y to about 2 ulp, inline (.NET's <see cref="Vector256.Exp(Vector256{float})"/> is a call and computes in double):
    /// y = n·ln 2 + r with |r| ≤ ½ln 2, e^r by Cephes' <c>expf</c> polynomial, 2^n put into the exponent bits. y is clamped
    /// to [−87.3, 88.3], where e^y and 2^n are normal floats; beyond it the GELU's x / (1 + e^y) is 0 or x either way.
    /// </summary>
    /// <param name="y">Eight exponents.</param>
    /// <returns>Their exponentials.</returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // a call passes and returns its vectors through the stack
    public static Vector256<float> Exp(Vector256<float> y)
    {
        y = Avx.Min(Avx.Max(y, Vector256.Create(-87.3f)), Vector256.Create(88.3f));
        var n = Avx.RoundToNearestInteger(y * 1.44269504088896341f);
        var r = Fma.MultiplyAddNegated(n, Vector256.Create(0.693359375f), y); // ln 2 in two parts: the first is exact in float
        r = Fma.MultiplyAddNegated(n, Vector256.Create(-2.12194440e-4f), r);
        var p = Vector256.Create(1.9875691500e-4f);
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1.3981999507e-3f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(8.3334519073e-3f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(4.1665795894e-2f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(1.6666665459e-1f));
        p = Fma.MultiplyAdd(p, r, Vector256.Create(5.0000001201e-1f));
        p = Fma.MultiplyAdd(p, r * r, r) + Vector256<float>.One;
        var twoToN = Avx2.ShiftLeftLogical(Avx.ConvertToVector256Int32(n) + Vector256.Create(127), 23).AsSingle();
        return p * twoToN;
    }
}
