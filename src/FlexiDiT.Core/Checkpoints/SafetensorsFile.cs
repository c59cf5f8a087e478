using System.Buffers.Binary;
using System.Text.Json;
using static TorchSharp.torch;

namespace FlexiDiT.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (8-byte header length, JSON header, raw little-endian data).
/// Every offset and shape is checked against the file before anything is allocated, so a truncated or
/// crafted file is a clear error, never a crash or a huge allocation. Tensors are read one at a time.
/// </summary>
public static class SafetensorsFile
{
    private const long MaxHeaderBytes = 100 * 1024 * 1024;

    /// <summary>One tensor's entry in the header.</summary>
    public sealed record Entry(string Name, string DType, long[] Shape, long Begin, long End);

    /// <summary>
    /// The JSON value a FlexiDiT safetensors file keeps under <paramref name="key"/> in its header metadata (e.g. the
    /// model config), deserialized; null for other file types or when the key is absent.
    /// </summary>
    public static T? ReadMetadataJson<T>(string path, string key, System.Text.Json.JsonSerializerOptions options) where T : class
    {
        if (!path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return null;
        var (_, metadata) = ReadHeader(path);
        return metadata.TryGetValue(key, out var json) ? System.Text.Json.JsonSerializer.Deserialize<T>(json, options) : null;
    }

    /// <summary>
    /// Writes <paramref name="tensors"/> with <paramref name="config"/> serialized under <paramref name="key"/> in the
    /// header metadata (what <see cref="ReadMetadataJson{T}"/> reads back), plus <paramref name="extraMetadata"/>.
    /// </summary>
    public static void WriteWithConfig<T>(string path, IReadOnlyDictionary<string, Tensor> tensors, string key, T config,
        System.Text.Json.JsonSerializerOptions options, IReadOnlyDictionary<string, string>? extraMetadata = null)
    {
        var metadata = new Dictionary<string, string> { [key] = System.Text.Json.JsonSerializer.Serialize(config, options) };
        if (extraMetadata is not null) foreach (var (k, v) in extraMetadata) metadata[k] = v;
        Write(path, tensors, metadata);
    }

    /// <summary>Reads the header of <paramref name="path"/>: its tensor entries and its metadata.</summary>
    public static (IReadOnlyList<Entry> Entries, IReadOnlyDictionary<string, string> Metadata) ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        return ReadHeader(stream, path, out _);
    }

    private static (IReadOnlyList<Entry>, IReadOnlyDictionary<string, string>) ReadHeader(FileStream stream, string path, out long dataStart)
    {
        long fileLength = stream.Length;
        Span<byte> lengthBytes = stackalloc byte[8];
        if (fileLength < 8 || stream.Read(lengthBytes) != 8)
            throw Malformed(path, "the file is shorter than the 8-byte header length");
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(lengthBytes);
        if (headerLength <= 0 || headerLength > MaxHeaderBytes || headerLength > fileLength - 8)
            throw Malformed(path, $"the header claims {headerLength} bytes but the file has {fileLength - 8} after the length");
        var headerBytes = new byte[headerLength];
        stream.ReadExactly(headerBytes);
        dataStart = 8 + headerLength;
        long dataLength = fileLength - dataStart;

        var entries = new List<Entry>();
        var metadata = new Dictionary<string, string>();
        try
        {
            using var doc = JsonDocument.Parse(headerBytes);
            foreach (var property in doc.RootElement.EnumerateObject())
            {
                if (property.Name == "__metadata__")
                {
                    foreach (var m in property.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString() ?? "";
                    continue;
                }
                var value = property.Value;
                string dtype = value.GetProperty("dtype").GetString() ?? "";
                long[] shape = value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                long[] offsets = value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0] || offsets[1] > dataLength)
                    throw Malformed(path, $"tensor '{property.Name}' has data offsets [{string.Join(", ", offsets)}] outside the {dataLength} data bytes (truncated file?)");
                long elements = 1;
                foreach (long s in shape)
                {
                    if (s < 0) throw Malformed(path, $"tensor '{property.Name}' has a negative dimension");
                    elements = checked(elements * s);
                }
                if (checked(elements * ElementSize(dtype, property.Name, path)) != offsets[1] - offsets[0])
                    throw Malformed(path, $"tensor '{property.Name}' ({dtype} [{string.Join(", ", shape)}]) does not match its {offsets[1] - offsets[0]} data bytes");
                entries.Add(new Entry(property.Name, dtype, shape, offsets[0], offsets[1]));
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or KeyNotFoundException or FormatException or OverflowException)
        {
            throw Malformed(path, "the header is not valid safetensors JSON: " + e.Message);
        }
        return (entries, metadata);
    }

    /// <summary>Reads every tensor (as float32, or int64 for integer tensors), streaming one tensor at a time.</summary>
    public static Dictionary<string, Tensor> Read(string path, Func<string, bool>? include = null)
    {
        using var stream = File.OpenRead(path);
        var (entries, _) = ReadHeader(stream, path, out long dataStart);
        var result = new Dictionary<string, Tensor>();
        foreach (var entry in entries)
        {
            if (include is not null && !include(entry.Name)) continue;
            var bytes = new byte[entry.End - entry.Begin];
            stream.Position = dataStart + entry.Begin;
            stream.ReadExactly(bytes);
            result[entry.Name] = TensorBytes.ToTensor(bytes, entry.DType, entry.Shape);
        }
        return result;
    }

    /// <summary>Writes float32/int64 tensors with optional string metadata (e.g. the model config).</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var header = new Dictionary<string, object>();
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        var blobs = new List<byte[]>();
        long offset = 0;
        foreach (var (name, t) in tensors.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var (dtype, bytes) = TensorBytes.FromTensor(t);
            header[name] = new { dtype, shape = t.shape, data_offsets = new[] { offset, offset + bytes.Length } };
            blobs.Add(bytes);
            offset += bytes.Length;
        }
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(header);
        int padding = (8 - json.Length % 8) % 8;
        string tmp = path + ".tmp";
        using (var stream = File.Create(tmp))
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(length, json.Length + padding);
            stream.Write(length);
            stream.Write(json);
            for (int i = 0; i < padding; i++) stream.WriteByte((byte)' ');
            foreach (var blob in blobs) stream.Write(blob);
        }
        File.Move(tmp, path, overwrite: true);
    }

    private static long ElementSize(string dtype, string name, string path) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => throw Malformed(path, $"tensor '{name}' has unsupported dtype '{dtype}'"),
    };

    private static InvalidDataException Malformed(string path, string why) =>
        new($"Malformed safetensors file {path}: {why}.");
}
