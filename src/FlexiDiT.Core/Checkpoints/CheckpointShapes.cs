using System.IO.Compression;

namespace FlexiDiT.Checkpoints;

/// <summary>
/// Tensor shapes of a checkpoint read without loading it: from the safetensors header, or from the pickle of a
/// <c>torch.save</c> zip (its <c>data.pkl</c> only, followed by <see cref="TorchPickleShapes"/>; no tensor data is read).
/// </summary>
public static class CheckpointShapes
{
    /// <summary>
    /// Every tensor's shape in <paramref name="path"/>, from the header alone; null for a zip whose pickle
    /// uses constructs the scanner does not follow.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]>? Read(string path) => Read(path, out _);

    /// <summary>As <see cref="Read(string)"/>; <paramref name="readsEverything"/> says whether loading the file materialises every tensor (torch zips) rather than only the ones a loader keeps (safetensors).</summary>
    internal static IReadOnlyDictionary<string, long[]>? Read(string path, out bool readsEverything)
    {
        readsEverything = true;
        if (!IsZip(path))
        {
            // StateDictReader streams safetensors one tensor at a time and can skip the ones a loader filters out.
            readsEverything = false;
            var (entries, _) = SafetensorsFile.ReadHeader(path);
            return entries.ToDictionary(e => e.Name, e => e.Shape);
        }
        byte[] bytes;
        try
        {
            using var zip = ZipFile.OpenRead(path);
            var pickle = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal))
                ?? throw new InvalidDataException($"Checkpoint {path} is a zip without data.pkl (not a torch.save file).");
            if (pickle.Length > 256L << 20) return null;
            bytes = new byte[pickle.Length];
            using var stream = pickle.Open();
            stream.ReadExactly(bytes);
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException && !e.Message.Contains(path, StringComparison.Ordinal))
        {
            // The zip reader's own message names no file; the caller must learn which file is damaged.
            throw new InvalidDataException($"Checkpoint {path} is not a readable torch.save zip (truncated or damaged?): {e.Message}", e);
        }
        return TorchPickleShapes.Read(bytes);
    }

    /// <summary>
    /// As <see cref="Read(string)"/>, under the names <see cref="StateDictReader.Read"/> gives the tensors: a training
    /// checkpoint's wrapper (<c>ema</c>, else <c>state_dict</c>, else <c>model</c>) taken off a <c>torch.save</c> zip's names.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]>? ReadStateDict(string path)
    {
        var shapes = Read(path, out _);
        if (shapes is null || !IsZip(path)) return shapes;
        // The scanner joins nested keys with '.', so a wrapper is a name prefix here; DiT and PixArt-α tensors have none of these.
        foreach (string wrapper in new[] { "ema.", "state_dict.", "model." })
        {
            var inner = shapes.Where(kv => kv.Key.StartsWith(wrapper, StringComparison.Ordinal)).ToDictionary(kv => kv.Key[wrapper.Length..], kv => kv.Value);
            if (inner.Count > 0) return inner;
        }
        return shapes;
    }

    /// <summary>Whether <paramref name="path"/> is a zip (a <c>torch.save</c> file) rather than safetensors.</summary>
    internal static bool IsZip(string path)
    {
        using var stream = File.OpenRead(path);
        return stream.Length >= 4 && stream.ReadByte() == 'P' && stream.ReadByte() == 'K';
    }

    /// <summary>Bytes of the storages of a <c>torch.save</c> zip as stored (in the file's own element types).</summary>
    internal static long StoredBytes(string path)
    {
        using var zip = ZipFile.OpenRead(path);
        return zip.Entries.Where(e => e.FullName.Contains("/data/", StringComparison.Ordinal)).Sum(e => e.Length);
    }
}
