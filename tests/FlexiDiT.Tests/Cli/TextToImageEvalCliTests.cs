using System.Text.Json;
using FlexiDiT.Evaluation;
using FlexiDiT.Tests.Training;

namespace FlexiDiT.Tests.Cli;

/// <summary><c>flexidit eval</c> on a text-to-image scenes checkpoint, as a user runs it.</summary>
public sealed class TextToImageEvalCliTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("flexidit-t2i-eval-cli").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    [Fact]
    public void Eval_of_a_text_to_image_checkpoint_writes_paired_rows_for_both_splits_as_json_and_markdown()
    {
        string checkpoint = TinyTextToImage.Write(Path.Combine(dir, "flexi.safetensors"), weakPatch: 4);
        string classifier = Path.Combine(dir, "judge.safetensors");
        using (var judge = SceneClassifier.Train(steps: 2, batch: 8, seed: 1)) judge.Save(classifier);

        var r = FlexiditProcess.Run(dir, "eval", "--checkpoint", checkpoint, "--classifier", classifier, "--images", "4", "--batch", "2", "--steps", "4",
            "--plan", "full", "weak50", "--split", "both", "--json", "--out", "out");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);
        var table = JsonSerializer.Deserialize<ScenePlanTable>(r.Stdout)!;
        Assert.Equal(["full/Training", "weak50/Training", "full/HeldOut", "weak50/HeldOut"], table.Plans.Select(p => $"{p.Name}/{p.Split}"));
        Assert.NotNull(table.Plans[1].VsFull);
        Assert.NotNull(table.Plans[2].HeldOutGap);
        Assert.Contains("shape", table.JudgeAccuracyOnReal.Keys);
        string markdown = File.ReadAllText(Path.Combine(dir, "out", "plans.md"));
        Assert.Contains("Held-out phrasings against the training phrasings", markdown);
        Assert.Contains("Targets:", markdown);
        Assert.True(File.Exists(Path.Combine(dir, "out", "grid-weak50-held-out.png")));

        // A base checkpoint that was never converted has no weak patch size: only full-compute plans run, and it says why.
        string plain = TinyTextToImage.Write(Path.Combine(dir, "plain.safetensors"));
        var full = FlexiditProcess.Run(dir, "eval", "--checkpoint", plain, "--classifier", classifier, "--images", "2", "--batch", "2", "--steps", "4",
            "--plan", "full", "weak50", "--split", "training", "--out", "plain");
        Assert.True(full.ExitCode == 0, full.Stderr + full.Stdout);
        Assert.Contains("convert it with 'flexidit convert'", full.Stdout);
        Assert.Contains("| full | training |", full.Stdout);
        Assert.DoesNotContain("| weak50 |", full.Stdout);

        var bad = FlexiditProcess.Run(dir, "eval", "--checkpoint", checkpoint, "--classifier", classifier, "--split", "heldout");
        Assert.NotEqual(0, bad.ExitCode);
        Assert.Contains("--split is training, held-out or both", bad.Stderr + bad.Stdout);
    }
}
