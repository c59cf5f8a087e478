using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace FlexiDiT.Checkpoints;

/// <summary>Raw little-endian bytes ↔ tensors; half-precision data is widened to float32 for the CPU.</summary>
internal static class TensorBytes
{
    public static Tensor ToTensor(byte[] bytes, string dtype, long[] shape) => dtype switch
    {
        "F32" => tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), shape),
        "F64" => tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), shape),
        "F16" => tensor(MemoryMarshal.Cast<byte, Half>(bytes).ToArray().Select(h => (float)h).ToArray(), shape),
        "BF16" => tensor(MemoryMarshal.Cast<byte, ushort>(bytes).ToArray().Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray(), shape),
        "I64" => tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), shape),
        "I32" => tensor(MemoryMarshal.Cast<byte, int>(bytes).ToArray().Select(v => (long)v).ToArray(), shape),
        "U8" or "BOOL" => tensor(bytes.Select(v => (long)v).ToArray(), shape),
        _ => throw new InvalidDataException($"Tensor dtype '{dtype}' is not supported."),
    };

    public static (string DType, byte[] Bytes) FromTensor(Tensor t)
    {
        using var cpu = t.detach().cpu().contiguous();
        return cpu.dtype switch
        {
            ScalarType.Int64 => ("I64", MemoryMarshal.AsBytes(cpu.data<long>().ToArray().AsSpan()).ToArray()),
            ScalarType.Float64 => ("F64", MemoryMarshal.AsBytes(cpu.data<double>().ToArray().AsSpan()).ToArray()),
            _ => ("F32", MemoryMarshal.AsBytes(cpu.to(ScalarType.Float32).data<float>().ToArray().AsSpan()).ToArray()),
        };
    }
}
