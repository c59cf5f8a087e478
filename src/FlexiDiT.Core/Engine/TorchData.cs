using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace FlexiDiT.Engine;

/// <summary>The address of a CPU tensor's first element, for native and vectorised code that reads or writes it in place.</summary>
internal static partial class TorchData
{
    /// <summary>Gets the address of <paramref name="tensor"/>'s first element (the caller keeps the tensor alive and contiguous).</summary>
    public static nint Pointer(Tensor tensor) => TensorData(tensor.Handle);

    /// <summary>
    /// The rows of a per-image table, (N, D) or (N, 1, D): the address of the first and the distance between rows, in
    /// elements. A table whose rows are each contiguous (a chunk of a wider tensor, as adaLN's shift, scale and gate are)
    /// is read where it lies; any other layout is copied, and the copy is returned for the caller to dispose after use.
    /// </summary>
    public static (nint First, long RowStride) Rows(Tensor table, out Tensor? copy)
    {
        bool rowsContiguous = table.dim() is 2 or 3 && table.stride(-1) == 1 && (table.dim() == 2 || table.shape[1] == 1);
        copy = rowsContiguous ? null : table.contiguous();
        var rows = copy ?? table;
        return (Pointer(rows), copy is null ? table.stride(0) : table.shape[^1]);
    }

    // TorchSharp's native library gives a tensor's first element; TorchSharp itself does not expose it.
    [LibraryImport("LibTorchSharp", EntryPoint = "THSTensor_data")]
    private static partial nint TensorData(nint tensor);
}
