namespace FlexiDiT.TextEncoders;

/// <summary>
/// Works around Microsoft.ML.Tokenizers 2.0.1, whose Unigram loader indexes its piece table with the trainer's
/// <c>bos_id</c> unchecked and so throws IndexOutOfRangeException on T5's <c>spiece.model</c>, which has no
/// beginning-of-sentence piece (<c>bos_id = -1</c>). The model bytes are rewritten with <c>bos_id</c> set to
/// <c>unk_id</c>: the loader then files the unknown piece a second time, as a control piece, and files it again
/// as unknown right after, so encoding is unchanged (the tests compare ids with Python's sentencepiece).
/// Nothing else in the file is touched; a model with a real <c>bos_id</c> passes through as it is.
/// </summary>
internal static class SentencePieceModelPatch
{
    // Field numbers of sentencepiece_model.proto.
    private const int ModelTrainerSpec = 2;
    private const int TrainerUnkId = 40;
    private const int TrainerBosId = 41;
    private const int DefaultBosId = 1;

    private const int WireVarint = 0, WireFixed64 = 1, WireLengthDelimited = 2, WireFixed32 = 5;

    /// <summary>The model bytes with a usable <c>bos_id</c> (the same array when it already has one).</summary>
    /// <exception cref="InvalidDataException">The bytes are not a protobuf message.</exception>
    public static byte[] WithBosId(byte[] model, string source)
    {
        var fields = ReadFields(model, source);
        var trainer = fields.LastOrDefault(f => f.Number == ModelTrainerSpec && f.Wire == WireLengthDelimited);
        if (trainer.Bytes is null) return model;
        var trainerFields = ReadFields(trainer.Bytes, source);
        long bosId = LastVarint(trainerFields, TrainerBosId) ?? DefaultBosId;
        if (bosId >= 0) return model;
        long unkId = LastVarint(trainerFields, TrainerUnkId) ?? 0;

        using var patchedTrainer = new MemoryStream();
        foreach (var field in trainerFields.Where(f => f.Number != TrainerBosId)) field.WriteTo(patchedTrainer);
        WriteVarint(patchedTrainer, (ulong)((TrainerBosId << 3) | WireVarint));
        WriteVarint(patchedTrainer, (ulong)unkId);

        using var result = new MemoryStream();
        foreach (var field in fields)
        {
            if (ReferenceEquals(field.Bytes, trainer.Bytes)) new Field(ModelTrainerSpec, WireLengthDelimited, 0, patchedTrainer.ToArray()).WriteTo(result);
            else field.WriteTo(result);
        }
        return result.ToArray();
    }

    private readonly record struct Field(int Number, int Wire, ulong Value, byte[]? Bytes)
    {
        public void WriteTo(Stream stream)
        {
            WriteVarint(stream, (ulong)(uint)((Number << 3) | Wire));
            switch (Wire)
            {
                case WireVarint: WriteVarint(stream, Value); break;
                case WireLengthDelimited:
                    WriteVarint(stream, (ulong)Bytes!.Length);
                    stream.Write(Bytes);
                    break;
                default: stream.Write(Bytes); break; // fixed32 / fixed64: raw little-endian bytes
            }
        }
    }

    private static long? LastVarint(List<Field> fields, int number) =>
        fields.LastOrDefault(f => f.Number == number && f.Wire == WireVarint) is { Number: > 0 } f ? (long)f.Value : null;

    private static List<Field> ReadFields(byte[] data, string source)
    {
        var fields = new List<Field>();
        int pos = 0;
        while (pos < data.Length)
        {
            ulong tag = ReadVarint(data, ref pos, source);
            int number = (int)(tag >> 3), wire = (int)(tag & 7);
            if (number <= 0) throw Malformed(source);
            switch (wire)
            {
                case WireVarint: fields.Add(new Field(number, wire, ReadVarint(data, ref pos, source), null)); break;
                case WireFixed64: fields.Add(new Field(number, wire, 0, Take(data, ref pos, 8, source))); break;
                case WireFixed32: fields.Add(new Field(number, wire, 0, Take(data, ref pos, 4, source))); break;
                case WireLengthDelimited:
                    ulong length = ReadVarint(data, ref pos, source);
                    if (length > (ulong)(data.Length - pos)) throw Malformed(source);
                    fields.Add(new Field(number, wire, 0, Take(data, ref pos, (int)length, source)));
                    break;
                default: throw Malformed(source);
            }
        }
        return fields;
    }

    private static byte[] Take(byte[] data, ref int pos, int count, string source)
    {
        if (count > data.Length - pos) throw Malformed(source);
        var bytes = data.AsSpan(pos, count).ToArray();
        pos += count;
        return bytes;
    }

    private static ulong ReadVarint(byte[] data, ref int pos, string source)
    {
        ulong value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) throw Malformed(source);
            byte b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0) return value;
        }
        throw Malformed(source);
    }

    private static void WriteVarint(Stream stream, ulong value)
    {
        while (value >= 0x80)
        {
            stream.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        stream.WriteByte((byte)value);
    }

    private static InvalidDataException Malformed(string source) =>
        new($"{source} is not a SentencePiece model (spiece.model): its protobuf encoding is broken or truncated.");
}
