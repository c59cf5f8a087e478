using FlexiDiT.Tests.TextEncoders;

namespace FlexiDiT.Tests.Cli;

/// <summary><c>flexidit t5-check</c> as a user runs it.</summary>
public sealed class T5CheckCliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-t5-cli").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void T5_check_passes_on_the_reference_vectors_and_prints_the_memory_estimate()
    {
        var r = FlexiditProcess.Run(dir, "t5-check", "--model", T5Files.Weights, "--config", T5Files.Config,
            "--spiece", T5Files.Spiece, "--vectors", T5Files.Vectors);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        Assert.Contains("memory: T5 encoder (d_model 32, 2 layers) in float32", r.Stdout);
        Assert.Contains("All 3 groups within tolerance.", r.Stdout);
        Assert.Matches(@"tokens\s+0\.00E\+000", r.Stdout);
    }

    [Fact]
    public void T5_check_with_a_config_that_does_not_fit_exits_2_naming_the_tensor()
    {
        string config = Path.Combine(dir, "config.json");
        File.WriteAllText(config, File.ReadAllText(T5Files.Config).Replace("\"d_ff\": 48", "\"d_ff\": 40"));
        var r = FlexiditProcess.Run(dir, "t5-check", "--model", T5Files.Weights, "--config", config, "--vectors", T5Files.Vectors);
        Assert.Equal(2, r.ExitCode);
        Assert.Contains("'encoder.block.0.layer.1.DenseReluDense.wi_0.weight' has shape [48, 32]", r.Stderr);
    }
}
