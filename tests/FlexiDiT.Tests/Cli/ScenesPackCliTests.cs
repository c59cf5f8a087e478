using System.Text.Json;
using FlexiDiT.Packs;
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

        var nothing = FlexiditProcess.Run(dir, "generate", "a giraffe at dusk", "--model", "pk", "--out", "y.png");
        Assert.Equal(2, nothing.ExitCode);
        Assert.Contains("names nothing this model draws (not understood: giraffe, dusk)", nothing.Stderr);
        Assert.Contains("\"a red circle\"", nothing.Stderr);
        Assert.False(File.Exists(Path.Combine(dir, "y.png")));
    }
}
