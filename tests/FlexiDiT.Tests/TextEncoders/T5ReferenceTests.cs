using FlexiDiT.Checkpoints;
using FlexiDiT.TextEncoders;
using FlexiDiT.Verification;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.TextEncoders;

/// <summary>The encoder and tokenizer against the reference vectors of Hugging Face's T5 equations.</summary>
public sealed class T5ReferenceTests
{
    [Fact]
    public void Last_hidden_state_matches_the_reference_within_float32_round_off()
    {
        using var model = T5Files.LoadReference();
        var (ids, mask, expected) = T5Files.Encode();
        using var _ = torch.inference_mode();
        using var actual = model.Forward(ids, mask);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(T5Files.RelativeError(actual, expected) <= 1e-4, $"relative error {T5Files.RelativeError(actual, expected):E2}");
    }

    [Fact]
    public void Buckets_match_the_reference_for_every_relative_position()
    {
        var v = SafetensorsFile.Read(T5Files.Vectors);
        var config = T5Config.Load(T5Files.Config);
        using var buckets = T5Attention.RelativePositionBucket(v["bucket.relative_position"], config.RelativeAttentionNumBuckets, config.RelativeAttentionMaxDistance);
        Assert.Equal(v["bucket.value"].data<long>().ToArray(), buckets.data<long>().ToArray());
        Assert.Equal(513, buckets.numel());
    }

    [Fact]
    public void Buckets_split_by_direction_and_saturate_beyond_max_distance()
    {
        using var relative = torch.tensor(new long[] { 0, 1, -1, 7, -7, 8, 127, -127, 128, 1000, -1000 });
        var buckets = T5Attention.RelativePositionBucket(relative, numBuckets: 32, maxDistance: 128).data<long>().ToArray();
        // Keys after the query take buckets 16..31, keys before 0..15; distances under 8 are exact.
        Assert.Equal(new long[] { 0, 17, 1, 23, 7 }, buckets[..5]);
        Assert.InRange(buckets[5], 24, 31);
        Assert.InRange(buckets[6], 24, 31);
        Assert.Equal(31, buckets[8]);
        Assert.Equal(31, buckets[9]);
        Assert.Equal(15, buckets[10]);
    }

    [Fact]
    public void Other_bucket_counts_and_distances_follow_the_same_rule()
    {
        // 8 buckets, max distance 16: 4 per direction, 2 exact; then ⌊2 + log(d/2)/log(8)·2⌋, capped at 3.
        using var relative = torch.tensor(new long[] { 0, 1, 2, 3, 5, 8, 16, 100, -1, -3, -8, -100 });
        var buckets = T5Attention.RelativePositionBucket(relative, numBuckets: 8, maxDistance: 16).data<long>().ToArray();
        Assert.Equal(new long[] { 0, 5, 6, 6, 6, 7, 7, 7, 1, 2, 3, 3 }, buckets);
    }

    [Fact]
    public void Padding_tokens_do_not_change_the_real_tokens_outputs()
    {
        using var model = T5Files.LoadReference();
        var tokenizer = T5Tokenizer.Load(T5Files.Spiece);
        using var _ = torch.inference_mode();
        using var shortTokens = tokenizer.Encode(["blue square"], 4);
        using var longTokens = tokenizer.Encode(["blue square"], 40);
        int real = shortTokens.Lengths[0];
        Assert.Equal(3, real);
        using var shortOut = model.Forward(shortTokens.InputIds, shortTokens.AttentionMask);
        using var longOut = model.Forward(longTokens.InputIds, longTokens.AttentionMask);
        Assert.True(T5Files.RelativeError(longOut.narrow(1, 0, real), shortOut.narrow(1, 0, real)) < 1e-5);

        // Whatever ids sit under the padding, the real tokens see none of them.
        using var scrambled = longTokens.InputIds.clone();
        scrambled.narrow(1, real, 40 - real).fill_(57);
        using var scrambledOut = model.Forward(scrambled, longTokens.AttentionMask);
        Assert.True(T5Files.RelativeError(scrambledOut.narrow(1, 0, real), longOut.narrow(1, 0, real)) < 1e-6);
        Assert.False(T5Files.RelativeError(scrambledOut, longOut) < 1e-6, "the padding positions themselves do change");
    }

    [Fact]
    public void Text_encoder_turns_the_reference_texts_into_the_reference_features_and_mask()
    {
        var (texts, _, maxLength) = T5ReferenceCheck.ReadTokensFile(T5Files.Tokens);
        using var encoder = new T5TextEncoder(T5Tokenizer.Load(T5Files.Spiece), T5Files.LoadReference(), maxLength);
        var (ids, mask, expected) = T5Files.Encode();
        using var encoding = encoder.Encode(texts);
        Assert.Equal(ScalarType.Float32, encoding.Features.dtype);
        Assert.Equal(new long[] { 3, maxLength, 32 }, encoding.Features.shape);
        Assert.Equal(mask.data<long>().ToArray(), encoding.Mask.data<long>().ToArray());
        Assert.True(T5Files.RelativeError(encoding.Features, expected) <= 1e-4);
    }

    [Fact]
    public void Bfloat16_weights_stay_close_to_float32()
    {
        using var model = T5Files.LoadReference(new T5EncoderOptions { BFloat16 = true });
        Assert.Equal(ScalarType.BFloat16, model.DType);
        Assert.All(model.parameters(), p => Assert.Equal(ScalarType.BFloat16, p.dtype));
        var (ids, mask, expected) = T5Files.Encode();
        using var _ = torch.inference_mode();
        using var actual = model.Forward(ids, mask);
        Assert.Equal(ScalarType.BFloat16, actual.dtype);
        double error = T5Files.RelativeError(actual, expected);
        // bfloat16 keeps 8 bits of mantissa: a few parts in a thousand per rounding, over two blocks.
        Assert.True(error < 3e-2, $"relative error {error:E2}");
        Assert.True(error > 1e-5, "the weights really are rounded to bfloat16");
    }

    [Fact]
    public void Ids_outside_the_vocabulary_or_a_mask_of_another_shape_are_refused()
    {
        using var model = T5Files.LoadReference();
        using var ids = torch.tensor(new long[] { 5, 128 }).reshape(1, 2);
        var e = Assert.Throws<ArgumentException>(() => model.Forward(ids, torch.ones(1, 2, dtype: ScalarType.Int64)));
        Assert.Contains("must lie in [0, 128) (vocab_size); got ids from 5 to 128", e.Message);
        var shape = Assert.Throws<ArgumentException>(() => model.Forward(ids, torch.ones(1, 3, dtype: ScalarType.Int64)));
        Assert.Contains("[1, 2]", shape.Message);
        Assert.Contains("[1, 3]", shape.Message);
    }

    [Fact]
    public void Reference_check_reports_every_group_within_tolerance()
    {
        using var model = T5Files.LoadReference();
        var results = T5ReferenceCheck.Run(model, T5Files.Vectors, T5Tokenizer.Load(T5Files.Spiece), T5Files.Tokens);
        Assert.Equal(["encode", "bucket", "tokens"], results.Select(r => r.Group));
        Assert.All(results, r => Assert.True(r.Passed, $"{r.Group}: {r.RelativeError:E2}"));
    }
}
