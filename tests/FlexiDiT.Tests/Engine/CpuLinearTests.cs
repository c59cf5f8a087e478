using FlexiDiT.Engine;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;

namespace FlexiDiT.Tests.Engine;

/// <summary>The linear layers' OpenBLAS product gives what libtorch gives, and only where it may be used.</summary>
public sealed class CpuLinearTests
{
    private const string Missing = "OpenBLAS is not installed here (apt install libopenblas0-pthread); .ci/run installs it, so CI runs these";

    [SkippableTheory]
    [InlineData(new long[] { 3, 5, 7 }, 11, true)]
    [InlineData(new long[] { 4, 7 }, 11, false)]
    [InlineData(new long[] { 2, 64, 96 }, 288, true)]
    public void OpenBLAS_gives_F_linear_s_output(long[] inputShape, long outFeatures, bool withBias)
    {
        Skip.IfNot(OpenBlas.IsAvailable, Missing);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var generator = new Generator(3);
        var x = randn(inputShape, generator: generator);
        var w = randn(outFeatures, inputShape[^1], generator: generator);
        var b = withBias ? randn(outFeatures, generator: generator) : null;

        var expected = F.linear(x, w, b);
        var actual = CpuLinear.Linear(x, w, b, LinearBackend.OpenBlas);

        Assert.Equal(expected.shape, actual.shape);
        Assert.True(allclose(expected, actual, rtol: 1e-4, atol: 1e-4), $"max |Δ| {(expected - actual).abs().max().item<float>()}");
    }

    [SkippableFact]
    public void A_non_contiguous_input_is_read_as_its_values_not_its_storage()
    {
        Skip.IfNot(OpenBlas.IsAvailable, Missing);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = randn(6, 4, 5, generator: new Generator(4)).transpose(0, 1); // (4, 6, 5), strided
        var w = randn(3, 5, generator: new Generator(5));

        Assert.True(allclose(F.linear(x, w), CpuLinear.Linear(x, w, null, LinearBackend.OpenBlas), rtol: 1e-4, atol: 1e-5));
    }

    [SkippableFact]
    public void With_gradients_on_the_product_stays_in_libtorch_so_training_backpropagates()
    {
        Skip.IfNot(OpenBlas.IsAvailable, Missing);
        using var scope = NewDisposeScope();
        var x = randn(2, 3, generator: new Generator(6));
        var w = randn(4, 3, generator: new Generator(7)).requires_grad_();

        var y = CpuLinear.Linear(x, w, null, LinearBackend.OpenBlas);
        y.sum().backward();

        Assert.True(y.requires_grad);
        Assert.True((w.grad! - x.sum(dim: 0)).abs().max().item<float>() < 1e-5, "dL/dW: every row is the sum of the inputs");
    }

    [SkippableFact]
    public void OpenBLAS_threads_are_told_to_stop_polling_soon_after_a_product_unless_the_user_said_otherwise()
    {
        Skip.IfNot(OpenBlas.IsAvailable, Missing);
        Skip.If(Environment.GetEnvironmentVariable(OpenBlas.ThreadTimeoutVariable) is { Length: > 0 }, "the user set the timeout");

        // Loading OpenBLAS (IsAvailable) set it first; polling threads would take a core from libtorch's next op.
        Assert.Equal("4", NativeEnvironmentReader.Get(OpenBlas.ThreadTimeoutVariable));
    }

    [Fact]
    public void Float64_and_torch_backend_run_libtorch_bit_for_bit()
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = randn(new long[] { 5, 7 }, dtype: ScalarType.Float64, generator: new Generator(8));
        var w = randn(new long[] { 3, 7 }, dtype: ScalarType.Float64, generator: new Generator(9));
        var x32 = x.to(ScalarType.Float32);
        var w32 = w.to(ScalarType.Float32);

        Assert.True(F.linear(x, w).equal(CpuLinear.Linear(x, w, null, LinearBackend.Auto)).all().item<bool>());
        Assert.True(F.linear(x32, w32).equal(CpuLinear.Linear(x32, w32, null, LinearBackend.Torch)).all().item<bool>());
    }

    [Theory]
    [InlineData(null, LinearBackend.Auto)]
    [InlineData("", LinearBackend.Auto)]
    [InlineData(" OpenBLAS ", LinearBackend.OpenBlas)]
    [InlineData("torch", LinearBackend.Torch)]
    [InlineData("Packed", LinearBackend.Packed)]
    public void Backend_names_parse(string? name, LinearBackend expected) => Assert.Equal(expected, CpuLinear.Parse(name, "--linear"));

    [Fact]
    public void An_unknown_backend_name_is_refused_naming_the_choices()
    {
        var error = Assert.Throws<ArgumentException>(() => CpuLinear.Parse("mkl", "--linear"));
        Assert.Contains("--linear: 'mkl' is not a linear backend; use auto, torch, openblas or packed", error.Message);
    }
}
