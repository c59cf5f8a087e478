using SixLabors.ImageSharp;

namespace FlexiDiT.Tests.Cli;

/// <summary><c>flexidit train-t2i</c> and <c>sample-t2i</c> as a user runs them.</summary>
public sealed class TextToImageCliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-t2i-cli").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Train_t2i_stopped_by_sigterm_resumes_and_its_checkpoint_draws_the_same_grid_twice()
    {
        string run = Path.Combine(dir, "run"), log = Path.Combine(run, "train.log");
        string[] train = ["train-t2i", "--run", run, "--depth", "1", "--hidden", "32", "--heads", "2", "--caption-width", "32", "--encoder-depth", "1",
            "--batch", "4", "--steps", "100000", "--log-every", "2"];
        var r = FlexiditProcess.RunAndTerminate(dir, () => File.Exists(log) && File.ReadAllText(log).Contains(" step 4 "), train);
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        string summary = FlexiDiT.Training.TrainingLog.LastEntry(log);
        Assert.StartsWith("stopped at step ", summary);
        int stoppedAt = int.Parse(summary.Split(' ')[3]);

        var resumed = FlexiditProcess.Run(dir, [.. train[..^4], "--steps", (stoppedAt + 2).ToString(), "--log-every", "1"]);
        Assert.True(resumed.ExitCode == 0, resumed.Stderr + resumed.Stdout);
        Assert.Contains($"resumed at step {stoppedAt} ", File.ReadAllText(log));
        Assert.StartsWith($"finished at step {stoppedAt + 2} ", FlexiDiT.Training.TrainingLog.LastEntry(log));
        Assert.DoesNotContain("NaN", File.ReadAllText(log));

        string[] sample = ["sample-t2i", "a red ring in the top left corner", "a small blue square", "--checkpoint", Path.Combine(run, "ema.safetensors"),
            "--count", "3", "--respacing", "4", "--seed", "5"];
        var first = FlexiditProcess.Run(dir, [.. sample, "--out", "a.png"]);
        Assert.True(first.ExitCode == 0, first.Stderr + first.Stdout);
        var second = FlexiditProcess.Run(dir, [.. sample, "--out", "b.png"]);
        Assert.True(second.ExitCode == 0, second.Stderr + second.Stdout);
        Assert.Equal(File.ReadAllBytes(Path.Combine(dir, "a.png")), File.ReadAllBytes(Path.Combine(dir, "b.png")));
        using var grid = Image.Load(Path.Combine(dir, "a.png"));
        // 2 captions × 3 images of 128 px (32 px × 4), 2-pixel gaps around each.
        Assert.Equal(3 * (128 + 2) + 2, grid.Width);
        Assert.Equal(2 * (128 + 2) + 2, grid.Height);
    }

    [Fact]
    public void Sample_t2i_refuses_a_class_checkpoint_and_says_what_to_give()
    {
        string classRun = Path.Combine(dir, "class");
        var trained = FlexiditProcess.Run(dir, "train", "--run", classRun, "--depth", "1", "--hidden", "32", "--heads", "2", "--batch", "2", "--steps", "1");
        Assert.True(trained.ExitCode == 0, trained.Stderr);
        var r = FlexiditProcess.Run(dir, "sample-t2i", "a red ring", "--checkpoint", Path.Combine(classRun, "ema.safetensors"));
        Assert.NotEqual(0, r.ExitCode);
        Assert.Contains("not a text-to-image checkpoint", r.Stderr);
    }
}
