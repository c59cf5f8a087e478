using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.IO.Compression;
using System.Text;
using FlexiDiT.Models;
using FlexiDiT.Vae;

namespace FlexiDiT.Checkpoints;

/// <summary>
/// How much memory loading and running a checkpoint will take on the CPU, worked out before loading it:
/// tensor shapes come from the safetensors header or from the pickle of a <c>torch.save</c> zip (its
/// <c>data.pkl</c> only; no tensor data is read). Every element counts 4 bytes (float32 on the CPU, whatever
/// the file stores). All figures are rough upper bounds meant to refuse hopeless loads with a clear message.
/// </summary>
/// <param name="ModelName">What the file holds, e.g. <c>DiT-XL/2</c> or <c>Stable Diffusion VAE</c>.</param>
/// <param name="FileTensorBytes">Float32 bytes of the tensors the reader materialises (a training checkpoint's optimizer state included).</param>
/// <param name="ModelBytes">Float32 bytes of the model's own parameters.</param>
/// <param name="ActivationBytes">Activations of one forward of <paramref name="BatchSize"/> inputs (see <see cref="DiTActivationFloats"/>, <see cref="VaeActivationFloats"/>); 0 when the model is not recognised.</param>
/// <param name="BatchSize">The forward batch the activations are for (with guidance, twice the images).</param>
public sealed record MemoryEstimate(string ModelName, long FileTensorBytes, long ModelBytes, long ActivationBytes, int BatchSize)
{
    /// <summary>The type the weights are held in, named in messages (float32 unless a loader converts them).</summary>
    public string Precision { get; init; } = "float32";

    /// <summary>libtorch's own allocations and allocator slack, added to every estimate.</summary>
    public const long RuntimeOverheadBytes = 256L << 20;

    /// <summary>Peak while loading: the loaders hold the file's tensors and the model's parameters at once.</summary>
    public long LoadBytes => FileTensorBytes + ModelBytes;

    /// <summary>Peak while running: parameters plus one forward's activations.</summary>
    public long RunBytes => ModelBytes + ActivationBytes;

    /// <summary>What must be available: the larger peak plus <see cref="RuntimeOverheadBytes"/>.</summary>
    public long RequiredBytes => Math.Max(LoadBytes, RunBytes) + RuntimeOverheadBytes;

    /// <summary>Estimates for the checkpoint at <paramref name="path"/> from its header alone.</summary>
    /// <param name="path">A <c>.safetensors</c> file or a <c>torch.save</c> zip (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.ckpt</c>).</param>
    /// <param name="batchSize">Forward batch for the activations.</param>
    /// <param name="latentSize">Latent side length; DiT: default from its position table; VAE: default 32 (256-pixel images).</param>
    public static MemoryEstimate ForCheckpoint(string path, int batchSize = 1, int? latentSize = null)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint not found: {path}", path);
        var shapes = ReadTensorShapes(path, out bool readsEverything);
        string fallbackName = Path.GetFileName(path);
        if (shapes is null)
        {
            // A zip whose pickle this scanner does not follow: its storages' stored bytes, taken as float32.
            long bytes = StoredBytes(path);
            return new MemoryEstimate(fallbackName, bytes, bytes, 0, batchSize);
        }
        return FromShapes(shapes, batchSize, latentSize, fallbackName, readsEverything);
    }

    /// <summary>
    /// Estimates from tensor shapes (name → shape). Recognises DiT (official names) and SD VAE files (any
    /// naming); anything else counts its weights only.
    /// </summary>
    /// <param name="shapes">Every tensor in the file, nested keys joined with '.'.</param>
    /// <param name="batchSize">Forward batch for the activations.</param>
    /// <param name="latentSize">Latent side length (see <see cref="ForCheckpoint"/>).</param>
    /// <param name="fallbackName">The name used when the model is not recognised.</param>
    /// <param name="readerLoadsEverything">Whether the reader materialises every tensor (torch zips) rather than only the decoder's (safetensors).</param>
    public static MemoryEstimate FromShapes(IReadOnlyDictionary<string, long[]> shapes, int batchSize = 1, int? latentSize = null,
        string fallbackName = "checkpoint", bool readerLoadsEverything = true)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        long all = FloatBytes(shapes.Values);

        string? embed = shapes.Keys.FirstOrDefault(k => k.EndsWith("x_embedder.proj.weight", StringComparison.Ordinal));
        if (embed is not null && shapes[embed].Length == 4)
        {
            string wrapper = embed[..^"x_embedder.proj.weight".Length];
            long model = FloatBytes(shapes.Where(kv => kv.Key.StartsWith(wrapper, StringComparison.Ordinal)).Select(kv => kv.Value));
            long[] e = shapes[embed];
            int hidden = (int)e[0], patch = (int)e[2];
            int depth = shapes.Keys.Where(k => k.StartsWith(wrapper + "blocks.", StringComparison.Ordinal))
                .Select(k => k[(wrapper.Length + 7)..].Split('.')[0]).Distinct().Count();
            long tokens = latentSize is int s ? (long)(s / patch) * (s / patch)
                : shapes.TryGetValue(wrapper + "pos_embed", out var pos) && pos.Length == 3 ? pos[1] : 256;
            long activations = checked(DiTActivationFloats(tokens, hidden) * batchSize * 4);
            return new MemoryEstimate(DiTName(hidden, depth, patch), all, model, activations, batchSize);
        }

        if (VaeKeyNames.FindPrefix(shapes.Keys) is string prefix && VaeKeyNames.Detect(shapes.Keys, prefix) is not null)
        {
            long decoder = FloatBytes(shapes.Where(kv => kv.Key.StartsWith(prefix + "decoder.", StringComparison.Ordinal)
                || kv.Key.StartsWith(prefix + "post_quant_conv.", StringComparison.Ordinal)).Select(kv => kv.Value));
            VaeConfig config;
            try
            {
                config = VaeCheckpoint.InferConfig(shapes, fallbackName);
            }
            catch (InvalidDataException)
            {
                return new MemoryEstimate("VAE decoder", readerLoadsEverything ? all : decoder, decoder, 0, batchSize);
            }
            long activations = checked(VaeActivationFloats(config, latentSize ?? 32) * batchSize * 4);
            string name = config.BlockOutChannels.SequenceEqual(VaeConfig.StableDiffusion.BlockOutChannels) ? "Stable Diffusion VAE" : "VAE decoder";
            return new MemoryEstimate(name, readerLoadsEverything ? all : decoder, decoder, activations, batchSize);
        }

        return new MemoryEstimate(fallbackName, all, all, 0, batchSize);
    }

    /// <summary>
    /// Live floats of one DiT forward per input, inference mode, one block at a time: about 12·T·D for the
    /// token stream, its norms, q/k/v, the attention output and the 4·D-wide MLP (before and after GELU), plus
    /// 2·H·T² for the attention scores and their softmax (H: the official head count of width D).
    /// </summary>
    public static long DiTActivationFloats(long tokens, int hidden) =>
        12 * tokens * hidden + 2L * DiTConfig.OfficialHeads(hidden) * tokens * tokens;

    /// <summary>
    /// Live floats of one VAE decode per latent of side <paramref name="latentSize"/>: at each level, 4 buffers
    /// (input, norm, conv output, residual) of the widest tensor there (the upsampled one included), the largest
    /// level counting; at latent resolution also the mid attention's two (h·w)² score matrices.
    /// </summary>
    public static long VaeActivationFloats(VaeConfig config, int latentSize)
    {
        long side = latentSize, pixels = side * side;
        var widestFirst = config.BlockOutChannels.Reverse().ToArray();
        long peak = 4L * widestFirst[0] * pixels + (config.MidBlockAttention ? 2 * pixels * pixels : 0);
        int previous = widestFirst[0];
        for (int i = 0; i < widestFirst.Length; i++, side *= 2)
        {
            long here = Math.Max(previous, widestFirst[i]) * side * side;
            long upsampled = i < widestFirst.Length - 1 ? widestFirst[i] * (2 * side) * (2 * side) : 0;
            peak = Math.Max(peak, 4 * Math.Max(here, upsampled));
            previous = widestFirst[i];
        }
        return peak;
    }

    /// <summary>Bytes free for this process: the least of what the GC, /proc/meminfo and the cgroup report.</summary>
    public static long AvailableBytes()
    {
        long available = long.MaxValue;
        var gc = GC.GetGCMemoryInfo();
        if (gc.TotalAvailableMemoryBytes > 0) available = Math.Min(available, gc.TotalAvailableMemoryBytes - Math.Max(gc.MemoryLoadBytes, 0));
        if (OperatingSystem.IsLinux())
        {
            if (ReadMemInfoKb("/proc/meminfo", "MemAvailable:") is long kb) available = Math.Min(available, kb * 1024);
            // cgroup v2: the container's limit minus its usage.
            if (ReadLong("/sys/fs/cgroup/memory.max") is long max && ReadLong("/sys/fs/cgroup/memory.current") is long current)
                available = Math.Min(available, max - current);
        }
        return available == long.MaxValue ? 0 : Math.Max(available, 0);
    }

    /// <summary>Throws when <see cref="RequiredBytes"/> exceeds <paramref name="availableBytes"/> (default: <see cref="AvailableBytes"/>).</summary>
    /// <exception cref="InsufficientMemoryException">The model will not fit; the message says by how much and what to do.</exception>
    public void EnsureFits(long? availableBytes = null)
    {
        long available = availableBytes ?? AvailableBytes();
        if (RequiredBytes <= available) return;
        string activations = ActivationBytes > 0 ? $"activations for batch {BatchSize}: {Format(ActivationBytes)}; " : "activations not estimated; ";
        throw new InsufficientMemoryException(
            $"{ModelName} needs about {Format(RequiredBytes)} to load in {Precision} but only {Format(available)} is available; " +
            "close other programs, lower the batch size, or use a machine with more memory " +
            $"(weights {Format(ModelBytes)}, file tensors {Format(FileTensorBytes)}, both held while loading; {activations}runtime {Format(RuntimeOverheadBytes)}).");
    }

    /// <summary>Estimates <paramref name="path"/> and throws <see cref="InsufficientMemoryException"/> when it will not fit.</summary>
    public static MemoryEstimate EnsureFits(string path, int batchSize = 1, int? latentSize = null, long? availableBytes = null)
    {
        var estimate = ForCheckpoint(path, batchSize, latentSize);
        estimate.EnsureFits(availableBytes);
        return estimate;
    }

    /// <summary>Bytes as "2.9 GB" / "350 MB" (decimal units).</summary>
    public static string Format(long bytes) => bytes >= 1_000_000_000
        ? (bytes / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " GB"
        : (bytes / 1e6).ToString("0", CultureInfo.InvariantCulture) + " MB";

    /// <summary>
    /// Every tensor's shape in <paramref name="path"/>, from the header alone; null for a zip whose pickle
    /// uses constructs the scanner does not follow.
    /// </summary>
    public static IReadOnlyDictionary<string, long[]>? ReadTensorShapes(string path) => ReadTensorShapes(path, out _);

    private static IReadOnlyDictionary<string, long[]>? ReadTensorShapes(string path, out bool readsEverything)
    {
        readsEverything = true;
        if (!IsZip(path))
        {
            // StateDictReader streams safetensors one tensor at a time and can skip the ones a loader filters out.
            readsEverything = false;
            var (entries, _) = SafetensorsFile.ReadHeader(path);
            return entries.ToDictionary(e => e.Name, e => e.Shape);
        }
        using var zip = ZipFile.OpenRead(path);
        var pickle = zip.Entries.FirstOrDefault(e => e.FullName.EndsWith("data.pkl", StringComparison.Ordinal))
            ?? throw new InvalidDataException($"Checkpoint {path} is a zip without data.pkl (not a torch.save file).");
        if (pickle.Length > 256L << 20) return null;
        var bytes = new byte[pickle.Length];
        using (var stream = pickle.Open()) stream.ReadExactly(bytes);
        return TorchPickleShapes.Read(bytes);
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

    private static long FloatBytes(IEnumerable<long[]> shapes) =>
        shapes.Sum(s => s.Aggregate(4L, (acc, d) => checked(acc * d)));

    private static string DiTName(int hidden, int depth, int patch)
    {
        string? size = (hidden, depth) switch
        {
            (384, 12) => "S",
            (768, 12) => "B",
            (1024, 24) => "L",
            (1152, 28) => "XL",
            _ => null,
        };
        return size is not null ? $"DiT-{size}/{patch}" : $"DiT (hidden {hidden}, depth {depth}, patch {patch})";
    }

    private static long? ReadMemInfoKb(string file, string field)
    {
        try
        {
            foreach (string line in File.ReadLines(file))
            {
                if (!line.StartsWith(field, StringComparison.Ordinal)) continue;
                string number = line[field.Length..].Trim().Split(' ')[0];
                return long.TryParse(number, NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb) ? kb : null;
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return null;
    }

    private static long? ReadLong(string file)
    {
        try
        {
            return File.Exists(file) && long.TryParse(File.ReadAllText(file).Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : null;
        }
        catch (IOException) { return null; }
        catch (UnauthorizedAccessException) { return null; }
    }

    /// <summary>
    /// Follows the pickle of a <c>torch.save</c> file far enough to learn every tensor's key and shape:
    /// dictionaries, tuples and <c>_rebuild_tensor_v2</c> / <c>_rebuild_parameter</c> calls are built, anything
    /// else (optimizer hyper-parameters, argparse namespaces, ...) becomes an opaque placeholder. No tensor
    /// data is read and nothing is executed.
    /// </summary>
    private static class TorchPickleShapes
    {
        private sealed record Global(string Module, string Name);
        private sealed record StorageRef(long Numel);
        private sealed record TensorRef(long[] Shape);
        private sealed class Opaque { public static readonly Opaque Value = new(); }

        /// <summary>Key → shape of every tensor reachable from the root through dictionaries and lists; null if the pickle is beyond the scanner.</summary>
        public static Dictionary<string, long[]>? Read(byte[] pickle)
        {
            var stack = new List<object?>();
            var marks = new Stack<int>();
            var memo = new Dictionary<long, object?>();
            int pos = 0;
            try
            {
                while (pos < pickle.Length)
                {
                    byte op = pickle[pos++];
                    switch (op)
                    {
                        case 0x80: pos += 1; break; // PROTO
                        case 0x95: pos += 8; break; // FRAME
                        case (byte)'.':
                            var result = new Dictionary<string, long[]>();
                            Collect(stack[^1], "", result, depth: 0);
                            return result;
                        case (byte)'(': marks.Push(stack.Count); break;
                        case (byte)')': stack.Add(Array.Empty<object?>()); break;
                        case (byte)'}': stack.Add(new Dictionary<object, object?>()); break;
                        case (byte)']': stack.Add(new List<object?>()); break;
                        case (byte)'N': stack.Add(null); break;
                        case 0x88: stack.Add(true); break;
                        case 0x89: stack.Add(false); break;
                        case (byte)'c':
                            {
                                string module = ReadLine(pickle, ref pos), name = ReadLine(pickle, ref pos);
                                stack.Add(new Global(module, name));
                                break;
                            }
                        case 0x93: // STACK_GLOBAL
                            {
                                var name = Pop(stack) as string;
                                var module = Pop(stack) as string;
                                stack.Add(new Global(module ?? "", name ?? ""));
                                break;
                            }
                        case (byte)'X': stack.Add(Text(pickle, ref pos, BinaryPrimitives.ReadUInt32LittleEndian(pickle.AsSpan(pos)), 4)); break;
                        case 0x8c: stack.Add(Text(pickle, ref pos, pickle[pos], 1)); break;
                        case 0x8d: stack.Add(Text(pickle, ref pos, (long)BinaryPrimitives.ReadUInt64LittleEndian(pickle.AsSpan(pos)), 8)); break;
                        case (byte)'T' or (byte)'B': Skip(ref pos, BinaryPrimitives.ReadUInt32LittleEndian(pickle.AsSpan(pos)), 4, stack); break;
                        case (byte)'U' or (byte)'C': Skip(ref pos, pickle[pos], 1, stack); break;
                        case 0x8e: Skip(ref pos, (long)BinaryPrimitives.ReadUInt64LittleEndian(pickle.AsSpan(pos)), 8, stack); break;
                        case (byte)'K': stack.Add((long)pickle[pos]); pos += 1; break;
                        case (byte)'M': stack.Add((long)BinaryPrimitives.ReadUInt16LittleEndian(pickle.AsSpan(pos))); pos += 2; break;
                        case (byte)'J': stack.Add((long)BinaryPrimitives.ReadInt32LittleEndian(pickle.AsSpan(pos))); pos += 4; break;
                        case 0x8a: // LONG1: little-endian two's complement of n bytes
                            {
                                int n = pickle[pos++];
                                stack.Add(n <= 8 ? LittleEndianSigned(pickle.AsSpan(pos, n)) : Opaque.Value);
                                pos += n;
                                break;
                            }
                        case (byte)'G': stack.Add(Opaque.Value); pos += 8; break; // BINFLOAT
                        case (byte)'q': memo[pickle[pos]] = stack[^1]; pos += 1; break;
                        case (byte)'r': memo[BinaryPrimitives.ReadUInt32LittleEndian(pickle.AsSpan(pos))] = stack[^1]; pos += 4; break;
                        case 0x94: memo[memo.Count] = stack[^1]; break; // MEMOIZE
                        case (byte)'h': stack.Add(memo[pickle[pos]]); pos += 1; break;
                        case (byte)'j': stack.Add(memo[BinaryPrimitives.ReadUInt32LittleEndian(pickle.AsSpan(pos))]); pos += 4; break;
                        case (byte)'t': stack.Add(PopMark(stack, marks)); break;
                        case 0x85: stack.Add(PopN(stack, 1)); break;
                        case 0x86: stack.Add(PopN(stack, 2)); break;
                        case 0x87: stack.Add(PopN(stack, 3)); break;
                        case (byte)'Q': stack.Add(Persistent(Pop(stack))); break; // BINPERSID
                        case (byte)'R' or 0x81: // REDUCE, NEWOBJ
                            {
                                var args = Pop(stack);
                                stack.Add(Call(Pop(stack), args as object?[]));
                                break;
                            }
                        case (byte)'s':
                            {
                                var value = Pop(stack);
                                var key = Pop(stack);
                                SetItem(stack[^1], key, value);
                                break;
                            }
                        case (byte)'u':
                            {
                                var items = PopMark(stack, marks);
                                for (int i = 0; i + 1 < items.Length; i += 2) SetItem(stack[^1], items[i], items[i + 1]);
                                break;
                            }
                        case (byte)'a': { var v = Pop(stack); (stack[^1] as List<object?>)?.Add(v); break; }
                        case (byte)'e': { var items = PopMark(stack, marks); (stack[^1] as List<object?>)?.AddRange(items); break; }
                        case (byte)'b': Pop(stack); break; // BUILD: object state (e.g. OrderedDict._metadata) does not matter
                        case (byte)'0': Pop(stack); break;
                        case (byte)'1': PopMark(stack, marks); break;
                        case (byte)'2': stack.Add(stack[^1]); break;
                        // Text opcodes of protocols 0 and 1, which old or hand-made pickles use.
                        case (byte)'I' or (byte)'L':
                            {
                                string text = ReadLine(pickle, ref pos).TrimEnd('L');
                                stack.Add(long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long v) ? v : Opaque.Value);
                                break;
                            }
                        case (byte)'F': ReadLine(pickle, ref pos); stack.Add(Opaque.Value); break;
                        case (byte)'V' or (byte)'S': stack.Add(ReadLine(pickle, ref pos).Trim('\'', '"')); break;
                        case (byte)'P': stack.Add(Opaque.Value); ReadLine(pickle, ref pos); break;
                        case (byte)'p': memo[long.Parse(ReadLine(pickle, ref pos), CultureInfo.InvariantCulture)] = stack[^1]; break;
                        case (byte)'g': stack.Add(memo[long.Parse(ReadLine(pickle, ref pos), CultureInfo.InvariantCulture)]); break;
                        case 0x8f: stack.Add(Opaque.Value); break; // EMPTY_SET
                        case 0x90: PopMark(stack, marks); break; // ADDITEMS
                        case 0x91: PopMark(stack, marks); stack.Add(Opaque.Value); break; // FROZENSET
                        case 0x92: // NEWOBJ_EX: cls, args, kwargs
                            {
                                Pop(stack);
                                var args = Pop(stack);
                                stack.Add(Call(Pop(stack), args as object?[]));
                                break;
                            }
                        default: return null; // an opcode torch.save does not write
                    }
                }
            }
            catch (Exception e) when (e is ArgumentException or IndexOutOfRangeException or KeyNotFoundException or InvalidOperationException or OverflowException or FormatException)
            {
                return null;
            }
            return null;
        }

        private static object Persistent(object? pid) =>
            // ('storage', storage_type, key, location, numel)
            pid is object?[] { Length: >= 5 } t && t[0] is "storage" && t[4] is long numel ? new StorageRef(numel) : Opaque.Value;

        private static object Call(object? callable, object?[]? args)
        {
            if (callable is not Global g) return Opaque.Value;
            if (g.Module == "collections" && g.Name == "OrderedDict") return new Dictionary<object, object?>();
            if (g.Module == "torch._utils" && args is { Length: >= 3 })
            {
                if (g.Name is "_rebuild_tensor_v2" or "_rebuild_tensor" && args[2] is object?[] size && size.All(d => d is long))
                    return new TensorRef(size.Select(d => (long)d!).ToArray());
                if (g.Name.StartsWith("_rebuild_parameter", StringComparison.Ordinal) && args[0] is TensorRef tensor) return tensor;
            }
            return Opaque.Value;
        }

        private static void SetItem(object? target, object? key, object? value)
        {
            if (target is Dictionary<object, object?> dict) dict[key ?? "None"] = value;
        }

        private static void Collect(object? node, string prefix, Dictionary<string, long[]> result, int depth)
        {
            if (depth > 32) return;
            switch (node)
            {
                case TensorRef t: result.TryAdd(prefix.TrimEnd('.'), t.Shape); break;
                case Dictionary<object, object?> dict:
                    foreach (var (k, v) in dict) Collect(v, prefix + Convert.ToString(k, CultureInfo.InvariantCulture) + ".", result, depth + 1);
                    break;
                case IList list:
                    for (int i = 0; i < list.Count; i++) Collect(list[i], prefix + i + ".", result, depth + 1);
                    break;
            }
        }

        private static string ReadLine(byte[] data, ref int pos)
        {
            int end = Array.IndexOf(data, (byte)'\n', pos);
            if (end < 0) throw new InvalidOperationException("unterminated GLOBAL");
            string s = Encoding.UTF8.GetString(data, pos, end - pos);
            pos = end + 1;
            return s;
        }

        private static string Text(byte[] data, ref int pos, long length, int lengthBytes)
        {
            pos += lengthBytes;
            string s = Encoding.UTF8.GetString(data, pos, checked((int)length));
            pos += (int)length;
            return s;
        }

        private static void Skip(ref int pos, long length, int lengthBytes, List<object?> stack)
        {
            pos = checked(pos + lengthBytes + (int)length);
            stack.Add(Opaque.Value);
        }

        private static long LittleEndianSigned(ReadOnlySpan<byte> bytes)
        {
            long value = 0;
            for (int i = bytes.Length - 1; i >= 0; i--) value = (value << 8) | bytes[i];
            if (bytes.Length is > 0 and < 8 && (bytes[^1] & 0x80) != 0) value -= 1L << (8 * bytes.Length);
            return value;
        }

        private static object? Pop(List<object?> stack)
        {
            var top = stack[^1];
            stack.RemoveAt(stack.Count - 1);
            return top;
        }

        private static object?[] PopN(List<object?> stack, int n)
        {
            var items = stack.GetRange(stack.Count - n, n).ToArray();
            stack.RemoveRange(stack.Count - n, n);
            return items;
        }

        private static object?[] PopMark(List<object?> stack, Stack<int> marks) => PopN(stack, stack.Count - marks.Pop());
    }
}
