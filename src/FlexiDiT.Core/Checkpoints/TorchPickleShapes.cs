using System.Buffers.Binary;
using System.Collections;
using System.Globalization;
using System.Text;

namespace FlexiDiT.Checkpoints;

/// <summary>
/// Follows the pickle of a <c>torch.save</c> file far enough to learn every tensor's key and shape:
/// dictionaries, tuples and <c>_rebuild_tensor_v2</c> / <c>_rebuild_parameter</c> calls are built, anything
/// else (optimizer hyper-parameters, argparse namespaces, ...) becomes an opaque placeholder. No tensor
/// data is read and nothing is executed.
/// </summary>
internal static class TorchPickleShapes
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
