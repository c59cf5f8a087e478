using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace FlexiDiT.Engine;

/// <summary>The address of a CPU tensor's first element, for native and vectorised code that reads or writes it in place.</summary>
internal static partial class TorchData
{
    /// <summary>Gets the address of <paramref name="tensor"/>'s first element (the caller keeps the tensor alive and contiguous).</summary>
    public static nint Pointer(Tensor tensor) => TensorData(tensor.Handle);

    // TorchSharp's native library gives a tensor's first element; TorchSharp itself does not expose it.
    [LibraryImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static partial nint TensorData(nint tensor);
}
