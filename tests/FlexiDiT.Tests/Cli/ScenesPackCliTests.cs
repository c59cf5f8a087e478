using System.Text.Json;
using FlexiDiT.Evaluation;
using FlexiDiT.Packs;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Testing;
using SixLabors.ImageSharp;

namespace FlexiDiT.Tests.Cli;

/// <summary><c>flexidit pack</c> and <c>generate</c> with a scenes text-to-image model, as a user runs them.</summary>
public sealed class ScenesPackCliTests : IDisposable
{
    private readonly TinyFlexiDiTPack fixture = TinyFlexiDiTPack.CreateScenes();

    public void Dispose() => fixture.Dispose();

    [Fact]
    public void Pack_builds_a_scenes_pack_whose_generate_reports_ignored_words_and_refuses_prompts_that_name_nothing()
    {
        string dir = fixture.Root;
        var r = FlexiditProcess.Run(dir, "pack", "--checkpoint", Path.Combine(fixture.PackFolder, "model.safetensors"), "--eval", Path.Combine(fixture.PackFolder, "plans.json"),
            "--out", "pk", "--name", "my-scenes", "--prompt", "a red circle", "a big blue square at the top on a light background");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

        var pack = ModelPack.Load(Path.Combine(dir, "pk"));
        Assert.Equal("my-scenes", pack.Name);
        Assert.True(pack.HasSceneEncoder);
        Assert.Null(pack.Manifest.Classes);
        Assert.Equal(["full", "weak", "cheap"], pack.Manifest.Plans.Select(p => p.Name));
        Assert.Contains($"default plan {pack.Manifest.Defaults.Plan}", r.Stdout);
        using (var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(dir, "pk", "pack.json"))))
            Assert.Equal("scenes", manifest.RootElement.GetProperty("textEncoder").GetProperty("kind").GetString());
        string card = File.ReadAllText(Path.Combine(dir, "pk", "card.md"));
        Assert.Contains("1. \"a red circle\"", card);
        Assert.Contains("2. \"a big blue square at the top on a light background\"", card);
        Assert.Contains("](grid-prompts.png)", card);
        Assert.Contains("| full |", card);
        using (var grid = Image.Load(Path.Combine(dir, "pk", "grid-prompts.png")))
        {
            // 6 seeds across, 2 prompts down, 96 px cells (32 px × 3) with 2-pixel gaps around each.
            Assert.Equal(6 * (96 + 2) + 2, grid.Width);
            Assert.Equal(2 * (96 + 2) + 2, grid.Height);
        }
        Assert.True(File.Exists(Path.Combine(dir, "pk", "card.json")));

        var generated = FlexiditProcess.Run(dir, "generate", "a large red ring in the top left corner on a dark background next to a giraffe", "--model", "pk", "--out", "x.png");
        Assert.True(generated.ExitCode == 0, generated.Stderr + generated.Stdout);
        Assert.Contains("ignored: next, giraffe", generated.Stdout);
        Assert.True(File.Exists(Path.Combine(dir, "x.native.png")));

        var flops = FlexiditProcess.Run(dir, "flops", "--model", "pk");
        Assert.True(flops.ExitCode == 0, flops.Stderr + flops.Stdout);
        Assert.Matches(@"patch 2: +[\d.]+ GFLOPs", flops.Stdout);
        Assert.Matches(@"patch 4: +[\d.]+ GFLOPs", flops.Stdout);
        Assert.Matches(@"weak +[\d.]+ TFLOPs", flops.Stdout);

        var nothing = FlexiditProcess.Run(dir, "generate", "a giraffe at dusk", "--model", "pk", "--out", "y.png");
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("names nothing this model draws (not understood: giraffe, dusk)", nothing.Stderr);
        Assert.Contains("\"a red circle\"", nothing.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "y.png")));
    }

    [Fact]
    public void Pack_turns_a_scenes_eval_table_into_the_packs_plan_table_of_the_training_phrasing()
    {
        string dir = fixture.Root;
        string eval = Directory.CreateDirectory(Path.Combine(dir, "ev")).FullName;
        // The scenes eval's shape: a row per plan and caption split, accuracy per attribute, no forwards.
        var quality = new Dictionary<string, (double Fd, double All, double Color)>
        {
            ["full"] = (10.0, 0.90, 0.95), ["weak"] = (10.2, 0.895, 0.95), ["cheap"] = (14.0, 0.50, 0.70),
        };
        var rows = TinyFlexiDiTPack.Plans.SelectMany(spec => new[] { CaptionSplit.Training, CaptionSplit.HeldOut }.Select(split => new ScenePlanResult
        {
            Name = spec.Name,
            Description = spec.Describe(),
            Spec = spec,
            Split = split,
            Steps = 10,
            WeakSteps = spec.PowerfulCondSteps is { } p ? 10 - p : 0,
            FlopsPerImage = fixture.FlopsPerImage(spec),
            FlopsFraction = fixture.FlopsPerImage(spec) / (double)fixture.FlopsPerImage(TinyFlexiDiTPack.Plans[0]),
            FrechetDistance = quality[spec.Name].Fd + (split == CaptionSplit.HeldOut ? 1 : 0),
            Accuracy = new Dictionary<string, double> { ["shape"] = 0.9, ["color"] = quality[spec.Name].Color },
            Named = new Dictionary<string, int> { ["shape"] = 8, ["color"] = 8 },
            AllNamedRight = quality[spec.Name].All - (split == CaptionSplit.HeldOut ? 0.2 : 0),
            ShapeAccuracyByShape = new Dictionary<string, double>(),
            Hits = new Dictionary<string, string>(),
            MsPerImage = 5.0,
        })).ToList();
        var table = new ScenePlanTable { Model = "ema", ImagesPerPlan = 8, JudgeAccuracyOnReal = new Dictionary<string, double>(), Plans = rows };
        File.WriteAllText(Path.Combine(eval, "plans.json"), JsonSerializer.Serialize(table));
        File.WriteAllText(Path.Combine(eval, "plans.md"), "the scenes eval's own report");
        using (var image = new Image<SixLabors.ImageSharp.PixelFormats.Rgb24>(8, 8)) image.SaveAsPng(Path.Combine(eval, "grid-full-training.png"));

        var r = FlexiditProcess.Run(dir, "pack", "--checkpoint", Path.Combine(fixture.PackFolder, "model.safetensors"), "--eval", "ev/plans.json", "--out", "pk2", "--prompt", "a red circle");
        Assert.True(r.ExitCode == 0, r.Stderr + r.Stdout);

        var pack = ModelPack.Load(Path.Combine(dir, "pk2"));
        Assert.Equal("weak", pack.Manifest.Defaults.Plan);
        var packed = JsonSerializer.Deserialize<PlanEvaluation>(File.ReadAllText(Path.Combine(dir, "pk2", "plans.json")))!;
        Assert.Equal(["full", "weak", "cheap"], packed.Plans.Select(p => p.Name));
        Assert.Equal([0.90, 0.895, 0.50], packed.Plans.Select(p => p.ClassAccuracy!.Value));
        Assert.Equal([10.0, 10.2, 14.0], packed.Plans.Select(p => p.FrechetDistance!.Value));
        var weakForwards = TinyFlexiDiTPack.Plans[1].Build(fixture.Geometry).ForwardsByPatch();
        Assert.Equal(weakForwards.OrderBy(f => f.Key).Select(f => (f.Key.ToString(), f.Value)), packed.Plans[1].Forwards.OrderBy(f => f.Key).Select(f => (f.Key, f.Value)));
        Assert.Equal(2, weakForwards.Count);
        string card = File.ReadAllText(Path.Combine(dir, "pk2", "card.md"));
        Assert.Contains("the scenes eval's own report", card);
        Assert.Contains("](grid-full-training.png)", card);

        // The governance reads the table it will choose plans from.
        var governed = FlexiDiT.Governance.Knowledge.PlanTable.Load(Path.Combine(dir, "pk2", "plans.json"));
        Assert.Equal([0.90, 0.895, 0.50], governed.Plans.Select(p => p.ClassAccuracy!.Value));
        Assert.Equal([0.95, 0.95, 0.70], governed.Plans.Select(p => p.ColorAccuracy!.Value));
        Assert.Equal(weakForwards, governed.Plans[1].Forwards);
    }
}
