namespace FlexiDiT.Models;

/// <summary>The floating-point type a model runs its inference in.</summary>
public enum InferencePrecision
{
    /// <summary>bfloat16 where the CPU multiplies it natively (AVX512-BF16 or AMX), float32 elsewhere.</summary>
    Auto,

    /// <summary>float32: the reference precision, matched by the official vectors within round-off.</summary>
    Float32,

    /// <summary>bfloat16 weights and activations: refused on CPUs that would emulate it.</summary>
    BFloat16,
}
