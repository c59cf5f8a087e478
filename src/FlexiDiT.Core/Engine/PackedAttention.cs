using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Engine;

/// <summary>
/// Multi-head attention softmax(q kᵀ / √d) v on <see cref="PackedGemm"/>'s register kernel: self-attention read straight
/// from the fused qkv product (N, T, 3·C: q, k, v, each split into heads; <see cref="Attend"/>), and PixArt's attention to
/// a caption from the query and key-value products (<see cref="AttendCaption"/>), written with the heads merged
/// (N, T, C), so neither the heads' split nor their merge is a copy. Each (image, head) is one work item: its keys and values are packed as the
/// kernel's weight panels, then for each block of queries the scores q kᵀ, their softmax (exponentials inline) and the
/// product with the values, normalised per row at the end.
/// </summary>
/// <remarks>
/// libtorch's fused attention ran DiT's small heads at 16–50 GFLOP/s here (2-core AMD EPYC: 64 tokens, head width 64),
/// mostly the cost of each call; the shipped model spent a quarter of its patch-2 forward in it.
/// </remarks>
public static unsafe class PackedAttention
{
    // Queries per block: their scores (48 × T) and packed probabilities stay in the second-level cache.
    private const int QueryBlock = 48;

    private static readonly float* Zeros = ZeroPanel();

    [ThreadStatic]
    private static float* scratch;

    [ThreadStatic]
    private static long scratchFloats;

    /// <summary>Gets whether <paramref name="qkv"/> can go through <see cref="Attend"/>: the packed kernel's CPU, a float32 CPU tensor (N, T, 3·heads·d) with d ≤ 256.</summary>
    /// <param name="qkv">The fused qkv product.</param>
    /// <param name="heads">The heads.</param>
    /// <returns>Whether it can.</returns>
    public static bool CanAttend(Tensor qkv, int heads)
    {
        ArgumentNullException.ThrowIfNull(qkv);
        return PackedGemm.IsSupported && heads > 0 && qkv.dtype == ScalarType.Float32 && qkv.device_type == DeviceType.CPU && qkv.dim() == 3
            && qkv.shape[2] % (3L * heads) == 0 && qkv.shape[2] / (3L * heads) <= PackedGemm.KBlock && qkv.numel() > 0 && qkv.numel() <= int.MaxValue;
    }

    /// <summary>softmax(q kᵀ / √d) v per image and head, from <paramref name="qkv"/> (N, T, 3·C) to (N, T, C) with the heads merged.</summary>
    /// <param name="qkv">The fused product: per token, q, k and v of C = heads · d values each, each head's d in a row.</param>
    /// <param name="heads">The heads.</param>
    /// <param name="threads">How many threads share the work (the caller's thread is one of them).</param>
    /// <returns>(N, T, C), float32.</returns>
    /// <exception cref="ArgumentException"><see cref="CanAttend"/> is false.</exception>
    public static Tensor Attend(Tensor qkv, int heads, int threads)
    {
        if (!CanAttend(qkv, heads))
            throw new ArgumentException($"Packed attention takes a float32 CPU tensor (N, T, 3·heads·d) with d ≤ {PackedGemm.KBlock}, on a CPU with AVX2 and FMA; got {qkv.dtype} {qkv.device_type} [{string.Join(", ", qkv.shape)}] with {heads} heads.", nameof(qkv));
        using var source = qkv.contiguous();
        int images = (int)qkv.shape[0], tokens = (int)qkv.shape[1], width = (int)(qkv.shape[2] / 3);
        var (at, ld) = ((nint)TorchData.Pointer(source), 3L * width);
        // Per token: q, k and v of C features each.
        return Run(images, tokens, width, heads, threads, new Layout(at, ld, at + (width * sizeof(float)), at + (2 * width * sizeof(float)), ld, tokens), keptKeys: null);
    }

    /// <summary>Gets whether <see cref="AttendCaption"/> takes <paramref name="q"/> (N, T, C) and <paramref name="kv"/> (N, L, 2·C): float32 CPU tensors, heads · d = C with d ≤ 256.</summary>
    /// <param name="q">The queries.</param>
    /// <param name="kv">Keys and values: per token, C keys then C values, each split into heads.</param>
    /// <param name="heads">The heads.</param>
    /// <returns>Whether it can.</returns>
    public static bool CanAttendCaption(Tensor q, Tensor kv, int heads)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(kv);
        return PackedGemm.IsSupported && heads > 0 && q.dtype == ScalarType.Float32 && kv.dtype == ScalarType.Float32 && q.device_type == DeviceType.CPU
            && kv.device_type == DeviceType.CPU && q.dim() == 3 && kv.dim() == 3 && kv.shape[0] == q.shape[0] && kv.shape[2] == 2 * q.shape[2]
            && q.shape[2] % heads == 0 && q.shape[2] / heads <= PackedGemm.KBlock && q.numel() > 0 && kv.numel() > 0 && kv.numel() <= int.MaxValue && q.numel() <= int.MaxValue;
    }

    /// <summary>
    /// Cross-attention to a caption, softmax(q kᵀ / √d) v per image and head over the caption's first
    /// <paramref name="keptTokens"/>[image] tokens (PixArt's masks keep a prefix: the rest are padding), heads merged.
    /// </summary>
    /// <param name="q">The queries (N, T, C).</param>
    /// <param name="kv">Keys and values (N, L, 2·C): per token, C keys then C values, each split into heads.</param>
    /// <param name="keptTokens">Per image, how many caption tokens from the first are attended to (1 … L).</param>
    /// <param name="heads">The heads.</param>
    /// <param name="threads">How many threads share the work (the caller's thread is one of them).</param>
    /// <returns>(N, T, C), float32.</returns>
    /// <exception cref="ArgumentException"><see cref="CanAttendCaption"/> is false, or a kept count is outside 1 … L.</exception>
    public static Tensor AttendCaption(Tensor q, Tensor kv, IReadOnlyList<int> keptTokens, int heads, int threads)
    {
        ArgumentNullException.ThrowIfNull(keptTokens);
        if (!CanAttendCaption(q, kv, heads))
            throw new ArgumentException($"Packed caption attention takes float32 CPU queries (N, T, heads·d) and keys-values (N, L, 2·heads·d) with d ≤ {PackedGemm.KBlock}, on a CPU with AVX2 and FMA; got [{string.Join(", ", q.shape)}] and [{string.Join(", ", kv.shape)}] with {heads} heads.", nameof(q));
        int images = (int)q.shape[0], tokens = (int)q.shape[1], width = (int)q.shape[2], length = (int)kv.shape[1];
        if (keptTokens.Count != images || keptTokens.Any(kept => kept < 1 || kept > length))
            throw new ArgumentException($"Give each of the {images} images a kept caption length of 1 … {length}; got [{string.Join(", ", keptTokens)}].", nameof(keptTokens));
        using var queries = q.contiguous();
        using var keysValues = kv.contiguous();
        var (qAt, kvAt) = ((nint)TorchData.Pointer(queries), (nint)TorchData.Pointer(keysValues));
        var kept = keptTokens.ToArray();
        return Run(images, tokens, width, heads, threads, new Layout(qAt, width, kvAt, kvAt + (width * sizeof(float)), 2L * width, length), kept);
    }

    // Where one image's queries, keys and values start (first head) and their row strides in floats; Keys: rows per image.
    private readonly record struct Layout(nint Queries, long QueryStride, nint Keys, nint Values, long KeyStride, int KeyRows);

    // keptKeys: per image, the keys attended to from the first (null: all KeyRows).
    private static Tensor Run(int images, int tokens, int width, int heads, int threads, Layout at, int[]? keptKeys)
    {
        int headWidth = width / heads;
        var output = empty(images, tokens, width);
        var outputAt = (nint)TorchData.Pointer(output);
        // Items are (image, head) pairs; where there are fewer than 4 per thread, each pair's queries are split too, at
        // the cost of packing its keys and values once per part.
        threads = Math.Max(1, threads);
        int pairs = images * heads, blocks = (tokens + QueryBlock - 1) / QueryBlock;
        int parts = Math.Clamp((4 * threads + pairs - 1) / pairs, 1, blocks), blocksPerPart = (blocks + parts - 1) / parts;
        parts = (blocks + blocksPerPart - 1) / blocksPerPart;
        GemmWorkers.Shared.Run(pairs * parts, threads, item =>
        {
            int pair = item / parts, image = pair / heads, first = item % parts * blocksPerPart * QueryBlock;
            long head = pair % heads * headWidth;
            var shape = new Shape(keptKeys?[image] ?? at.KeyRows, width, headWidth);
            Head(shape, (float*)at.Queries + ((long)image * tokens * at.QueryStride) + head, at.QueryStride,
                (float*)at.Keys + ((long)image * at.KeyRows * at.KeyStride) + head, (float*)at.Values + ((long)image * at.KeyRows * at.KeyStride) + head, at.KeyStride,
                (float*)outputAt + ((long)image * tokens * width) + head, first, Math.Min(tokens, first + (blocksPerPart * QueryBlock)));
        });
        return output;
    }

    private readonly record struct Shape(int Keys, int Width, int HeadWidth)
    {
        public int KeyPanels => (Keys + PackedGemm.PanelWidth - 1) / PackedGemm.PanelWidth;

        public int ValuePanels => (HeadWidth + PackedGemm.PanelWidth - 1) / PackedGemm.PanelWidth;
    }

    // Queries [from, to) of one image's head: query t at q[t·ldq + i], key and value j at k[j·ldkv + i] and v[j·ldkv + i];
    // its output at o[t·C + i].
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Head(Shape s, float* q, long ldq, float* k, float* v, long ldkv, float* o, int from, int to)
    {
        int t = s.Keys, d = s.HeadWidth, ld = checked((int)ldq);
        long keyFloats = (long)s.KeyPanels * PackedGemm.PanelWidth * d, valueFloats = (long)s.ValuePanels * PackedGemm.PanelWidth * t;
        long blockFloats = (long)QueryBlock * Math.Max(t, d);
        float* keys = Scratch(keyFloats + valueFloats + (3 * blockFloats)), values = keys + keyFloats;
        float* queries = values + valueFloats, scores = queries + blockFloats, probabilities = scores + blockFloats;
        PackKeys(k, checked((int)ldkv), t, d, keys);
        PackValues(v, checked((int)ldkv), t, d, s.ValuePanels, values);
        float scale = 1f / MathF.Sqrt(d);
        Span<float> inverseSums = stackalloc float[QueryBlock];
        for (int q0 = from; q0 < to; q0 += QueryBlock)
        {
            int rows = Math.Min(QueryBlock, to - q0);
            // Scores of the block: its queries (packed as the kernel's rows) times every key panel.
            PackedGemm.PackRows(q + ((long)q0 * ld), ld, rows, d, queries);
            for (int panel = 0; panel < s.KeyPanels; panel++)
                PackedGemm.MultiplyPanel(rows, d, queries, keys + PackedWeight.PanelOffset(0, panel, d, s.KeyPanels), scores + (panel * PackedGemm.PanelWidth), t, Math.Min(PackedGemm.PanelWidth, t - (panel * PackedGemm.PanelWidth)), Zeros, GemmActivation.None);
            for (int r = 0; r < rows; r++) inverseSums[r] = 1f / Softmax(scores + ((long)r * t), t, scale);
            // Outputs of the block: probabilities times values, feature block by feature block, then each row over its sum.
            float* rowOut = o + ((long)q0 * s.Width);
            for (int k0 = 0; k0 < t; k0 += PackedGemm.KBlock)
            {
                int kc = Math.Min(PackedGemm.KBlock, t - k0);
                PackedGemm.PackRows(scores + k0, t, rows, kc, probabilities);
                for (int panel = 0; panel < s.ValuePanels; panel++)
                {
                    PackedGemm.MultiplyPanel(rows, kc, probabilities, values + PackedWeight.PanelOffset(k0, panel, kc, s.ValuePanels), rowOut + (panel * PackedGemm.PanelWidth), s.Width,
                        Math.Min(PackedGemm.PanelWidth, d - (panel * PackedGemm.PanelWidth)), k0 == 0 ? Zeros : null, GemmActivation.None);
                }
            }

            for (int r = 0; r < rows; r++) Scale(rowOut + ((long)r * s.Width), d, inverseSums[r]);
        }
    }

    // Keys as the kernel's weight: panel p holds, feature by feature, the 16 keys p·16 … p·16 + 15 (zero past the last),
    // 8 keys × 8 features at a time transposed in registers.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PackKeys(float* k, int ld, int tokens, int d, float* panels)
    {
        for (int key0 = 0; key0 < tokens; key0 += PackedGemm.PanelWidth, panels += d * PackedGemm.PanelWidth)
        {
            for (int half = 0; half < PackedGemm.PanelWidth; half += 8)
            {
                int first = key0 + half, present = Math.Clamp(tokens - first, 0, 8);
                float* row = k + ((long)first * ld);
                int f = 0;
                for (; f + 8 <= d; f += 8)
                {
                    float* at = row + f;
                    PackedGemm.StoreTransposed(Key(at, ld, 0, present), Key(at, ld, 1, present), Key(at, ld, 2, present), Key(at, ld, 3, present),
                        Key(at, ld, 4, present), Key(at, ld, 5, present), Key(at, ld, 6, present), Key(at, ld, 7, present),
                        panels + (f * PackedGemm.PanelWidth) + half, PackedGemm.PanelWidth);
                }

                for (int lane = 0; lane < 8; lane++)
                    for (int j = f; j < d; j++) panels[(j * PackedGemm.PanelWidth) + half + lane] = lane < present ? row[((long)lane * ld) + j] : 0f;
            }
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Key(float* at, int ld, int lane, int present) => lane < present ? Avx.LoadVector256(at + ((long)lane * ld)) : Vector256<float>.Zero;

    // Values as the kernel's weight over the keys: per block of 256 keys, per panel of 16 features, key by key.
    private static void PackValues(float* v, int ld, int tokens, int d, int valuePanels, float* panels)
    {
        for (int k0 = 0; k0 < tokens; k0 += PackedGemm.KBlock)
        {
            int kc = Math.Min(PackedGemm.KBlock, tokens - k0);
            for (int panel = 0; panel < valuePanels; panel++)
            {
                int f0 = panel * PackedGemm.PanelWidth, columns = Math.Min(PackedGemm.PanelWidth, d - f0);
                for (int key = k0; key < k0 + kc; key++, panels += PackedGemm.PanelWidth)
                {
                    float* row = v + ((long)key * ld) + f0;
                    if (columns == PackedGemm.PanelWidth)
                    {
                        Avx.Store(panels, Avx.LoadVector256(row));
                        Avx.Store(panels + 8, Avx.LoadVector256(row + 8));
                    }
                    else
                    {
                        for (int j = 0; j < PackedGemm.PanelWidth; j++) panels[j] = j < columns ? row[j] : 0f;
                    }
                }
            }
        }
    }

    // row ← e^(scale·(row − max)); returns the sum.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static float Softmax(float* row, int n, float scale)
    {
        int j = 0;
        var largest = Vector256.Create(float.NegativeInfinity);
        for (; j + 8 <= n; j += 8) largest = Avx.Max(largest, Avx.LoadVector256(row + j));
        float max = MaxOf(largest);
        for (; j < n; j++) max = MathF.Max(max, row[j]);
        var scaleV = Vector256.Create(scale);
        var shift = Vector256.Create(max * scale);
        var sums = Vector256<float>.Zero;
        for (j = 0; j + 8 <= n; j += 8)
        {
            var e = PackedGemm.Exp(Fma.MultiplySubtract(Avx.LoadVector256(row + j), scaleV, shift));
            Avx.Store(row + j, e);
            sums += e;
        }

        float sum = Vector256.Sum(sums);
        for (; j < n; j++) sum += row[j] = MathF.Exp((row[j] * scale) - (max * scale));
        return sum;
    }

    private static float MaxOf(Vector256<float> v)
    {
        var half = Sse.Max(v.GetLower(), v.GetUpper());
        half = Sse.Max(half, Sse.Shuffle(half, half, 0b_01_00_11_10));
        return MathF.Max(half.ToScalar(), half.GetElement(1));
    }

    private static void Scale(float* row, int n, float factor)
    {
        int j = 0;
        var f = Vector256.Create(factor);
        for (; j + 8 <= n; j += 8) Avx.Store(row + j, Avx.LoadVector256(row + j) * f);
        for (; j < n; j++) row[j] *= factor;
    }

    private static float* Scratch(long floats)
    {
        if (scratchFloats < floats)
        {
            NativeMemory.AlignedFree(scratch);
            scratch = null;
            scratch = (float*)NativeMemory.AlignedAlloc((nuint)(floats * sizeof(float)), 64);
            scratchFloats = floats;
        }

        return scratch;
    }

    private static float* ZeroPanel()
    {
        var zeros = (float*)NativeMemory.AlignedAlloc(PackedGemm.PanelWidth * sizeof(float), 64);
        new Span<float>(zeros, PackedGemm.PanelWidth).Clear();
        return zeros;
    }
}
