using System.Collections;
using System.IO.Compression;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace FlexiDiT.Checkpoints;

/// <summary>
/// Reads a PyTorch state dict from <c>.safetensors</c> or from a <c>torch.save</c> zip file
/// (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.ckpt</c>). Training checkpoints are unwrapped: DiT's
/// <c>train.py</c> files <c>{"model","ema","opt","args"}</c> give <c>ema</c>; Lightning files give
/// <c>state_dict</c>. Floating tensors come back as float32 on the CPU.
/// </summary>
public static class StateDictReader
{
    /// <summary>Reads the state dict in <paramref name="path"/>, optionally only the keys <paramref name="include"/> accepts.</summary>
    public static Dictionary<string, Tensor> Read(string path, Func<string, bool>? include = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint not found: {path}", path);
        return IsSafetensors(path) ? SafetensorsFile.Read(path, include) : ReadTorchZip(path, include);
    }

    private static bool IsSafetensors(string path)
    {
        if (path.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)) return true;
        using var stream = File.OpenRead(path);
        return stream.Length >= 2 && stream.ReadByte() != 'P' | stream.ReadByte() != 'K';
    }

    private static Dictionary<string, Tensor> ReadTorchZip(string path, Func<string, bool>? include)
    {
        Hashtable root;
        try
        {
            using (var zip = ZipFile.OpenRead(path))
            {
                if (!zip.Entries.Any(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal)))
                    throw new InvalidDataException("no data.pkl inside (not a torch.save file)");
            }
            root = PyTorchUnpickler.UnpickleStateDict(path);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException(
                $"Cannot read checkpoint {path}: {e.Message}. Expected a torch.save zip state dict (PyTorch ≥ 1.6) or a .safetensors file; the file may be truncated or not a checkpoint.", e);
        }

        var stateDict = Unwrap(root, path);
        var result = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in stateDict)
        {
            string key = entry.Key.ToString() ?? "";
            if (include is not null && !include(key)) continue;
            if (entry.Value is not Tensor t) continue; // e.g. Lightning's non-tensor extras
            result[key] = t.is_floating_point() && t.dtype != ScalarType.Float32 ? t.to(ScalarType.Float32) : t;
        }
        return result;
    }

    private static IDictionary Unwrap(Hashtable root, string path)
    {
        foreach (string wrapper in new[] { "ema", "state_dict", "model" })
        {
            if (root[wrapper] is IDictionary inner) return inner;
        }
        if (root.Values.Cast<object?>().All(v => v is not Tensor))
            throw new InvalidDataException($"Checkpoint {path} holds no tensors at the top level and no 'ema', 'model' or 'state_dict' entry (keys: {string.Join(", ", root.Keys.Cast<object>().Take(10))}).");
        return root;
    }
}
