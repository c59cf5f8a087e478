using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.TextEncoders;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Verification;

/// <summary>
/// Replays reference vectors of Hugging Face's T5 encoder equations (layout of <c>shared/reference/README.md</c>):
/// <c>encode.input_ids</c> and <c>encode.attention_mask</c> → <c>encode.last_hidden_state</c>;
/// <c>bucket.relative_position</c> → <c>bucket.value</c>; and, given a tokens file (<c>texts</c>,
/// <c>token_ids</c>, <c>max_length</c>), the tokenizer's ids.
/// </summary>
public static class T5ReferenceCheck
{
    /// <summary>Relative tolerance of the encoder's output: float32 round-off (max abs error over max |reference|).</summary>
    public const double Tolerance = 1e-4;

    /// <summary>Runs the groups present in <paramref name="vectorsPath"/> (and the tokens group when <paramref name="tokensPath"/> is given).</summary>
    public static IReadOnlyList<GroupError> Run(T5EncoderModel model, string vectorsPath, T5Tokenizer? tokenizer = null, string? tokensPath = null, double tolerance = Tolerance)
    {
        ArgumentNullException.ThrowIfNull(model);
        var vectors = SafetensorsFile.Read(vectorsPath);
        try
        {
            Tensor V(string name) => vectors.TryGetValue(name, out var t) ? t
                : throw new InvalidDataException($"Reference vectors {vectorsPath} have no '{name}' (keys: {string.Join(", ", vectors.Keys.Take(8))}).");
            var results = new List<GroupError>();
            using var _ = torch.inference_mode();
            if (vectors.ContainsKey("encode.last_hidden_state"))
            {
                using var actual = model.Forward(V("encode.input_ids"), V("encode.attention_mask"));
                results.Add(ReferenceCheck.Compare("encode", actual, V("encode.last_hidden_state"), tolerance));
            }
            if (vectors.ContainsKey("bucket.value"))
            {
                using var buckets = T5Attention.RelativePositionBucket(V("bucket.relative_position"), model.Config.RelativeAttentionNumBuckets, model.Config.RelativeAttentionMaxDistance);
                results.Add(ReferenceCheck.Compare("bucket", buckets, V("bucket.value"), 0));
            }
            if (tokenizer is not null && tokensPath is not null) results.Add(CheckTokens(tokenizer, tokensPath));
            if (results.Count == 0)
                throw new InvalidDataException($"Reference vectors {vectorsPath} have neither 'encode.*' nor 'bucket.*' groups (keys: {string.Join(", ", vectors.Keys.Take(8))}).");
            return results;
        }
        finally
        {
            foreach (var t in vectors.Values) t.Dispose();
        }
    }

    /// <summary>
    /// The tokenizer against a tokens file: every text's padded ids must equal its <c>token_ids</c> padded to
    /// <c>max_length</c>. The error is the number of differing ids (tolerance 0).
    /// </summary>
    public static GroupError CheckTokens(T5Tokenizer tokenizer, string tokensPath)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        var (texts, expectedIds, maxLength) = ReadTokensFile(tokensPath);
        using var tokens = tokenizer.Encode(texts, maxLength);
        var actual = tokens.InputIds.data<long>().ToArray();
        int differing = 0;
        for (int b = 0; b < texts.Count; b++)
        {
            for (int i = 0; i < maxLength; i++)
                if (actual[b * maxLength + i] != (i < expectedIds[b].Length ? expectedIds[b][i] : tokenizer.PadId)) differing++;
        }

        return new GroupError("tokens", differing, differing / (double)Math.Max(actual.Length, 1), 0);
    }

    /// <summary>Reads a tokens file: <c>texts</c>, their unpadded <c>token_ids</c> (with <c>&lt;/s&gt;</c>) and <c>max_length</c>.</summary>
    public static (IReadOnlyList<string> Texts, long[][] TokenIds, int MaxLength) ReadTokensFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokens file not found: {path}", path);
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            var texts = root.GetProperty("texts").EnumerateArray().Select(t => t.GetString() ?? "").ToList();
            var ids = root.GetProperty("token_ids").EnumerateArray().Select(r => r.EnumerateArray().Select(i => i.GetInt64()).ToArray()).ToArray();
            int maxLength = root.GetProperty("max_length").GetInt32();
            if (texts.Count != ids.Length)
                throw new InvalidDataException($"Tokens file {path} has {texts.Count} texts but {ids.Length} token_ids rows.");
            if (ids.Any(r => r.Length > maxLength))
                throw new InvalidDataException($"Tokens file {path} has token_ids longer than max_length {maxLength}.");
            return (texts, ids, maxLength);
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"Tokens file {path} is not JSON with 'texts', 'token_ids' and 'max_length': {e.Message}", e);
        }
    }
}
