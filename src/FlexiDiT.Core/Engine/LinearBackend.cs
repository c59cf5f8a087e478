namespace FlexiDiT.Engine;

/// <summary>Which code multiplies a linear layer's float32 matrices on the CPU during inference.</summary>
public enum LinearBackend
{
    /// <summary>
    /// On a CPU that is not Intel's (whose oneMKL path in libtorch is tuned): <see cref="Packed"/> where the CPU has AVX2 and
    /// FMA, else <see cref="OpenBlas"/> where it is installed; libtorch otherwise.
    /// </summary>
    Auto,

    /// <summary>libtorch (oneMKL) always.</summary>
    Torch,

    /// <summary>OpenBLAS for every eligible product; refused when OpenBLAS is not installed.</summary>
    OpenBlas,

    /// <summary>
    /// The engine's own AVX2 kernel (<see cref="PackedGemm"/>) on weights packed when the model is frozen for inference, with
    /// the MLP's GELU fused into it; refused on a CPU without AVX2 and FMA.
    /// </summary>
    Packed,
}
