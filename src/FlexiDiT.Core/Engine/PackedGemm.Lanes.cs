using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using FlexiDiT.Platform;

namespace FlexiDiT.Engine;

// The vector widths of the register tile. A tile row is two vectors: with 256-bit vectors the two halves of one 16-wide
// weight panel; with 512-bit vectors (AVX-512's 32 registers hold the 12 wider accumulators as easily) two whole panels,
// which the packed weight stores one after the other, so a tile covers 32 outputs and loads each broadcast input once
// for twice the multiply-adds. Each output is accumulated over the features in the same order with the same fused
// multiply-adds at either width: the results are bit for bit the same.
public static unsafe partial class PackedGemm
{
    /// <summary>The environment variable that picks the register tile's vector width: <c>256</c> (AVX2) or <c>512</c> (AVX-512).</summary>
    public const string VectorVariable = "FLEXIDIT_PACKED_VECTOR";

    private static readonly Lazy<int> VectorBitsFromEnvironment = new(() => ParseVectorBits(Environment.GetEnvironmentVariable(VectorVariable)));

    // Read once per product on the calling thread, so a test's choice does not reach products other tests run meanwhile.
    [ThreadStatic]
    private static int? vectorBitsOverride;

    /// <summary>
    /// Gets the width in bits of the vectors the register tile is made of: <see cref="VectorVariable"/> if set, else 512 on
    /// Intel CPUs that run 512-bit vectors natively (<see cref="Vector512.IsHardwareAccelerated"/>), else 256: AMD's Zen 4
    /// runs a 512-bit multiply-add as two 256-bit halves, gains no multiply-adds per cycle from it, and keeps the AVX2 tile
    /// that was measured (<c>FLEXIDIT_PACKED_VECTOR=512</c> tries the wide one there).
    /// </summary>
    /// <exception cref="InvalidOperationException"><see cref="VectorVariable"/> asks for 512 on a CPU without native 512-bit vectors, or is neither 256 nor 512.</exception>
    public static int VectorBits => vectorBitsOverride ?? VectorBitsFromEnvironment.Value;

    /// <summary>
    /// Runs the products this thread starts with <paramref name="bits"/>-bit vectors until disposed, even where 512-bit ones
    /// are emulated (many times slower, but with the same results): so tests check the wide tile on any CPU.
    /// </summary>
    internal static IDisposable UseVectorBits(int bits) => new VectorBitsScope(bits is 256 or 512 ? bits : throw new ArgumentOutOfRangeException(nameof(bits), bits, "256 or 512"));

    private static int ParseVectorBits(string? value) => value?.Trim() switch
    {
        null or "" or "auto" => Vector512.IsHardwareAccelerated && CpuVendor.IsIntel ? 512 : 256,
        "256" => 256,
        "512" when Vector512.IsHardwareAccelerated => 512,
        "512" => throw new InvalidOperationException($"{VectorVariable}=512: this CPU does not run 512-bit vectors natively (no AVX-512, or .NET turned them off); use 256."),
        _ => throw new InvalidOperationException($"{VectorVariable}: '{value}' is not a vector width; use 256, 512 or auto."),
    };

    // What the kernel needs of a vector type, as static members so the JIT compiles the kernel once per width with each
    // call inlined to its instruction.
    private interface ILanes<TVector>
        where TVector : struct
    {
        // Floats per vector.
        static abstract int Width { get; }

        // Floats from a tile row's first vector of weights to its second, in a block of kc features.
        static abstract long Second(int kc);

        static abstract TVector Load(float* p);

        static abstract TVector LoadAligned(float* p);

        static abstract TVector Broadcast(float* p);

        static abstract TVector MultiplyAdd(TVector x, TVector y, TVector addend);

        static abstract void Store(float* p, TVector value);
    }

    private readonly struct Lanes256 : ILanes<Vector256<float>>
    {
        public static int Width => 8;

        public static long Second(int kc) => 8;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Load(float* p) => Avx.LoadVector256(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> LoadAligned(float* p) => Avx.LoadAlignedVector256(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> Broadcast(float* p) => Avx.BroadcastScalarToVector256(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector256<float> MultiplyAdd(Vector256<float> x, Vector256<float> y, Vector256<float> addend) => Fma.MultiplyAdd(x, y, addend);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(float* p, Vector256<float> value) => Avx.Store(p, value);
    }

    // The cross-platform Vector512 API: AVX-512 instructions where the CPU has them, a software fallback elsewhere (tests).
    private readonly struct Lanes512 : ILanes<Vector512<float>>
    {
        public static int Width => 16;

        public static long Second(int kc) => (long)kc * PanelWidth;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Load(float* p) => Vector512.Load(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> LoadAligned(float* p) => Vector512.LoadAligned(p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Broadcast(float* p) => Vector512.Create(*p);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> MultiplyAdd(Vector512<float> x, Vector512<float> y, Vector512<float> addend) => Vector512.FusedMultiplyAdd(x, y, addend);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Store(float* p, Vector512<float> value) => Vector512.Store(value, p);
    }

    private sealed class VectorBitsScope : IDisposable
    {
        private readonly int? previous = vectorBitsOverride;

        public VectorBitsScope(int bits) => vectorBitsOverride = bits;

        public void Dispose() => vectorBitsOverride = previous;
    }
}
