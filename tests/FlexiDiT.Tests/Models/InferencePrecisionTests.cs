using FlexiDiT.Checkpoints;
using FlexiDiT.Models;
using FlexiDiT.Platform;
using FlexiDiT.Verification;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Models;

/// <summary>--precision: what auto picks, what is refused, and how far bfloat16 is from the float32 reference.</summary>
public class InferencePrecisionTests(Xunit.Abstractions.ITestOutputHelper output)
{
    [Fact]
    public void Auto_is_bfloat16_only_on_a_CPU_with_native_bfloat16()
    {
        var expected = NativeBFloat16.OnThisCpu == true ? ScalarType.BFloat16 : ScalarType.Float32;
        Assert.Equal(expected, InferencePrecision.Auto.Resolve());
        Assert.Equal(ScalarType.Float32, InferencePrecision.Float32.Resolve());
    }

    [Fact]
    public void Bfloat16_where_it_would_be_emulated_is_refused_with_a_reason()
    {
        if (NativeBFloat16.OnThisCpu == false)
        {
            var error = Assert.Throws<ArgumentException>(() => InferencePrecision.BFloat16.Resolve(option: "--precision"));
            Assert.Contains("--precision bfloat16", error.Message, StringComparison.Ordinal);
            Assert.Contains("no native bfloat16", error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.Equal(ScalarType.BFloat16, InferencePrecision.BFloat16.Resolve());
        }
    }

    [Theory]
    [InlineData("auto", InferencePrecision.Auto)]
    [InlineData("Float32", InferencePrecision.Float32)]
    [InlineData("bf16", InferencePrecision.BFloat16)]
    public void Names_parse(string text, InferencePrecision expected) => Assert.Equal(expected, InferencePrecisionExtensions.Parse(text));

    [Fact]
    public void An_unknown_name_says_which_option_and_what_is_allowed()
    {
        var error = Assert.Throws<ArgumentException>(() => InferencePrecisionExtensions.Parse("fp8", "--precision"));
        Assert.Contains("--precision must be auto, float32 or bfloat16 (got 'fp8')", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bfloat16_model_takes_and_returns_the_caller_s_float32()
    {
        string dir = TestPaths.ReferenceDirectory;
        using var model = DiTCheckpoint.Load(Path.Combine(dir, "dit_tiny_a.safetensors"), Path.Combine(dir, "dit_tiny_a.json"));
        model.to(ScalarType.BFloat16);
        using var _ = inference_mode();
        var c = model.Config;

        using var output = model.Forward(randn(2, c.InChannels, c.InputSize, c.InputSize), tensor(new long[] { 3, 500 }), tensor(new long[] { 1, 2 }));

        Assert.Equal(ScalarType.Float32, output.dtype);
        Assert.Equal(new long[] { 2, c.OutChannels, c.InputSize, c.InputSize }, output.shape);
    }

    [Fact]
    public void A_bfloat16_forward_stays_within_its_own_tolerance_of_the_float32_reference()
    {
        string dir = TestPaths.ReferenceDirectory;
        using var model = DiTCheckpoint.Load(Path.Combine(dir, "dit_tiny_a.safetensors"), Path.Combine(dir, "dit_tiny_a.json"));
        model.to(ScalarType.BFloat16);

        var result = ReferenceCheck.ForwardInModelPrecision(model, Path.Combine(dir, "dit_tiny_a.vectors.safetensors"));

        output.WriteLine($"bfloat16 forward vs the float32 reference: relative error {result.RelativeError:E2} (tolerance {result.Tolerance:E0})");
        Assert.Equal(ReferenceCheck.BFloat16ForwardTolerance, result.Tolerance);
        Assert.True(result.Passed, $"bfloat16 forward: relative error {result.RelativeError:E2} > {result.Tolerance:E0}");
        // It really ran in bfloat16: float32 round-off would be far below bfloat16's.
        Assert.True(result.RelativeError > ReferenceCheck.ForwardTolerance, $"relative error {result.RelativeError:E2} is float32 round-off");
    }

    [Fact]
    public void A_bfloat16_PixArt_takes_float32_captions_and_stays_within_its_own_tolerance_of_the_float32_reference()
    {
        using var model = PixArtCheckpoint.Load(TestPaths.Reference("pixart_tiny_a.safetensors"), TestPaths.Reference("pixart_tiny_a.json"));
        model.to(ScalarType.BFloat16);

        var result = ReferenceCheck.ForwardInModelPrecision(model, TestPaths.Reference("pixart_tiny_a.vectors.safetensors"));
        var c = model.Config;
        using (inference_mode())
        {
            using var one = model.Forward(randn(1, c.InChannels, c.InputSize, c.InputSize), tensor(new long[] { 10 }), randn(1, 5, c.CaptionChannels));
            Assert.Equal(ScalarType.Float32, one.dtype);
        }

        output.WriteLine($"bfloat16 PixArt forward vs the float32 reference: relative error {result.RelativeError:E2} (tolerance {result.Tolerance:E0})");
        Assert.Equal(ReferenceCheck.BFloat16ForwardTolerance, result.Tolerance);
        Assert.True(result.Passed, $"bfloat16 forward: relative error {result.RelativeError:E2} > {result.Tolerance:E0}");
        Assert.True(result.RelativeError > ReferenceCheck.ForwardTolerance, $"relative error {result.RelativeError:E2} is float32 round-off");
    }
}
