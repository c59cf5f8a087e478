using FlexiDiT.Checkpoints;
using FlexiDiT.TextEncoders;
using FlexiDiT.Verification;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.TextEncoders;

/// <summary>The T5 reference files (shared folder or the repository's copy) and helpers around them.</summary>
internal static class T5Files
{
    public static string Weights => TestPaths.Reference("t5_tiny_a.safetensors");
    public static string Config => TestPaths.Reference("t5_tiny_a.config.json");
    public static string Spiece => TestPaths.Reference("t5_tiny_a.spiece.model");
    public static string Tokens => TestPaths.Reference("t5_tiny_a.json");
    public static string Vectors => TestPaths.Reference("t5_tiny_a.vectors.safetensors");

    /// <summary>The second tokenizer case, made in this repository by scripts/make-t5-tokenizer-data.py.</summary>
    public static string SecondSpiece => Path.Combine(TestPaths.RepositoryRoot, "tests", "FlexiDiT.Tests", "TextEncoders", "Data", "t5_spm_b.spiece.model");
    public static string SecondTokens => Path.Combine(TestPaths.RepositoryRoot, "tests", "FlexiDiT.Tests", "TextEncoders", "Data", "t5_spm_b.json");

    public static T5EncoderModel LoadReference(T5EncoderOptions? options = null) => T5Checkpoint.Load(Weights, Config, options);

    /// <summary>The reference encode group: ids, mask and Hugging Face's last_hidden_state.</summary>
    public static (Tensor Ids, Tensor Mask, Tensor Expected) Encode()
    {
        var v = SafetensorsFile.Read(Vectors);
        return (v["encode.input_ids"], v["encode.attention_mask"], v["encode.last_hidden_state"]);
    }

    /// <summary>The reference weights with <paramref name="edit"/> applied.</summary>
    public static Dictionary<string, Tensor> EditedWeights(Action<Dictionary<string, Tensor>>? edit = null)
    {
        var tensors = SafetensorsFile.Read(Weights);
        edit?.Invoke(tensors);
        return tensors;
    }

    /// <summary>max |a − b| / max |b|.</summary>
    public static double RelativeError(Tensor actual, Tensor expected) =>
        (actual.to(float64) - expected.to(float64)).abs().max().item<double>() / expected.to(float64).abs().max().item<double>();

    /// <summary>Asserts the model reproduces the reference last_hidden_state within float32 round-off.</summary>
    public static void AssertMatchesReference(T5EncoderModel model)
    {
        var (ids, mask, expected) = Encode();
        using var _ = torch.inference_mode();
        using var actual = model.Forward(ids, mask);
        double error = RelativeError(actual, expected);
        Assert.True(error <= T5ReferenceCheck.Tolerance, $"relative error {error:E2}");
    }
}
