using FlexiDiT.Extensions.AI.Tests.Support;
using FlexiDiT.Packs;
using Microsoft.Extensions.AI;

namespace FlexiDiT.Extensions.AI.Tests;

/// <summary>The <see cref="IImageGenerator"/> on a text-to-image pack: the prompt goes to the text encoder as it is.</summary>
[Collection(TinyPackCollection.Name)]
public sealed class TextToImageTests : IDisposable
{
    private readonly TinyFlexiDiTPack pack = TinyFlexiDiTPack.Create(PackKind.TextToImage);

    public void Dispose() => pack.Dispose();

    [Fact]
    public async Task A_prompt_draws_images_deterministically_per_seed_and_reports_flops()
    {
        using IImageGenerator generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        var options = new ImageGenerationOptions { Count = 2 }.WithSeed(11).WithMode("weak");

        // No class of any pack is named: a class pack would refuse this prompt.
        var first = await generator.GenerateImagesAsync("a lighthouse at dusk", options);
        var again = await generator.GenerateImagesAsync("a lighthouse at dusk", options);
        var other = await generator.GenerateImagesAsync("a field of sunflowers", options);

        Assert.Equal(2, first.Contents.Count);
        byte[] Bytes(ImageGenerationResponse r, int i) => ((DataContent)r.Contents[i]).Data.ToArray();
        Assert.Equal(Bytes(first, 0), Bytes(again, 0));
        Assert.Equal(Bytes(first, 1), Bytes(again, 1));
        Assert.NotEqual(Bytes(first, 0), Bytes(other, 0));

        var report = first.GetFlexiDiTReport()!;
        Assert.Equal("a lighthouse at dusk", report.Prompt);
        Assert.Equal(-1, report.ClassIndex);
        Assert.Equal("weak", report.Mode);
        Assert.Equal(2 * pack.FlopsPerImage(TinyFlexiDiTPack.Plans.Single(p => p.Name == "weak")), report.FlopsSpent);
        Assert.True(report.FlopsSaved > 0);
        Assert.Equal(report.FlopsSpent, first.Usage!.AdditionalCounts![FlexiDiTUsageKeys.FlopsSpent]);
    }
}
