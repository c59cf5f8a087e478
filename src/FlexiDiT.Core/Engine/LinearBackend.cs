namespace FlexiDiT.Engine;

/// <summary>Which library multiplies a linear layer's float32 matrices on the CPU.</summary>
public enum LinearBackend
{
    /// <summary>OpenBLAS where it is installed and the CPU is not Intel's (whose oneMKL path in libtorch is tuned), else libtorch.</summary>
    Auto,

    /// <summary>libtorch (oneMKL) always.</summary>
    Torch,

    /// <summary>OpenBLAS for every eligible product; refused when OpenBLAS is not installed.</summary>
    OpenBlas,
}
