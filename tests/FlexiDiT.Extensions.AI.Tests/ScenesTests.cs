using FlexiDiT.Extensions.AI.Tests.Support;
using FlexiDiT.Prompts.Captions;
using Microsoft.Extensions.AI;

namespace FlexiDiT.Extensions.AI.Tests;

/// <summary>The <see cref="IImageGenerator"/> on a scenes pack: ignored words in the usage, report and images; prompts that name nothing refused free.</summary>
[Collection(TinyPackCollection.Name)]
public sealed class ScenesTests : IDisposable
{
    private readonly TinyFlexiDiTPack pack = TinyFlexiDiTPack.CreateScenes();

    public void Dispose() => pack.Dispose();

    [Fact]
    public async Task Words_the_model_does_not_know_are_reported_and_held_out_phrasings_draw_as_training_ones()
    {
        using IImageGenerator generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        var options = new ImageGenerationOptions { Count = 2 }.WithSeed(3).WithMode("weak");

        var giraffe = await generator.GenerateImagesAsync("a big red ring at the top next to a giraffe", options);
        var report = giraffe.GetFlexiDiTReport()!;
        Assert.Equal(["next", "giraffe"], report.IgnoredWords);
        Assert.Equal("a big red ring at the top next to a giraffe", report.Prompt);
        Assert.Equal(2, giraffe.Usage!.AdditionalCounts![FlexiDiTUsageKeys.IgnoredWords]);
        Assert.All(giraffe.Contents, c => Assert.Equal(["next", "giraffe"], (string[])c.AdditionalProperties![FlexiDiTContentKeys.IgnoredWords]!));

        var training = await generator.GenerateImagesAsync("a large red ring in the top left on a dark background", options);
        var heldOut = await generator.GenerateImagesAsync("a giant scarlet doughnut in the upper left corner on a dim backdrop", options);
        Assert.Equal(0, training.Usage!.AdditionalCounts![FlexiDiTUsageKeys.IgnoredWords]);
        Assert.Empty(training.GetFlexiDiTReport()!.IgnoredWords);
        Assert.False(training.Contents[0].AdditionalProperties!.ContainsKey(FlexiDiTContentKeys.IgnoredWords));
        byte[] Bytes(ImageGenerationResponse r, int i) => ((DataContent)r.Contents[i]).Data.ToArray();
        Assert.Equal(Bytes(training, 0), Bytes(heldOut, 0));
        Assert.Equal(Bytes(training, 1), Bytes(heldOut, 1));
        Assert.NotEqual(Bytes(training, 0), Bytes(giraffe, 0));
    }

    [Fact]
    public async Task A_prompt_that_names_nothing_is_refused_with_examples_and_charges_nothing()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        var error = await Assert.ThrowsAsync<NoSceneConceptException>(() => generator.GenerateImagesAsync("a lighthouse at dusk"));
        Assert.Contains("names nothing this model draws (not understood: lighthouse, dusk)", error.Message);
        Assert.Contains("\"a red circle\"", error.Message);
        var status = await generator.Runtime.Ledger.GetStatusAsync(TinyFlexiDiTPack.Tenant);
        Assert.Equal(0m, status.Tenant.Spent);
        Assert.Equal(0m, status.Tenant.Reserved);
    }

    [Fact]
    public async Task Without_a_latency_file_the_first_use_calibrates_the_scenes_denoiser_at_both_patch_sizes()
    {
        var options = pack.CreateOptions(o => o.LatencyModelPath = null);
        using var generator = new FlexiDiTImageGenerator(options);
        var response = await generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithMode("cheap"));
        Assert.Single(response.Contents);

        var path = FlexiDiTPaths.LatencyModelPath(TinyFlexiDiTPack.Name, options.LedgerPath);
        var entries = Governance.Knowledge.LatencyModel.Load(path).Snapshot();
        Assert.Equal([2, 4], entries.Select(e => e.PatchSize).Distinct().Order());
        Assert.All(entries, e => Assert.True(e.Ms > 0));
    }
}
