using Size = System.Drawing.Size;
using FlexiDiT.Extensions.AI.Tests.Support;
using FlexiDiT.Prompts;
using Microsoft.Extensions.AI;

namespace FlexiDiT.Extensions.AI.Tests;

/// <summary>Requests FlexiDiT cannot serve fail before anything runs, with messages that say what would work.</summary>
[Collection(TinyPackCollection.Name)]
public sealed class BadOptionsTests(TinyFlexiDiTPack pack)
{
    [Theory]
    [InlineData(50, 50)]
    [InlineData(16, 16)]
    [InlineData(64, 32)]
    [InlineData(544, 544)]
    public async Task Sizes_that_are_not_whole_square_multiples_of_the_native_size_are_refused_with_the_valid_ones(int width, int height)
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions { ImageSize = new Size(width, height) }));

        Assert.Contains($"{width}x{height}", e.Message, StringComparison.Ordinal);
        Assert.Contains("32x32, 64x64, 96x96", e.Message, StringComparison.Ordinal);
        Assert.Contains("512x512", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hosted_results_are_not_supported()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var e = await Assert.ThrowsAsync<NotSupportedException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions { ResponseFormat = ImageGenerationResponseFormat.Hosted }));

        Assert.Contains("Data", e.Message, StringComparison.Ordinal);
        Assert.Contains("Uri", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Image_edits_are_not_supported()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        await Assert.ThrowsAsync<NotSupportedException>(() =>
            generator.EditImageAsync(new DataContent(new byte[] { 1, 2, 3 }, "image/png"), "make it blue"));
    }

    [Fact]
    public async Task An_unknown_class_lists_the_closest_ones()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var e = await Assert.ThrowsAsync<UnknownClassException>(() => generator.GenerateImagesAsync("a purple elephant"));

        Assert.IsAssignableFrom<ArgumentException>(e);
        Assert.NotEmpty(e.Closest);
        Assert.Contains("purple", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prompt_naming_two_classes_is_ambiguous()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var e = await Assert.ThrowsAsync<AmbiguousClassException>(() => generator.GenerateImagesAsync("a red circle and a blue square"));

        Assert.Equal(2, e.Candidates.Count);
    }

    [Fact]
    public async Task An_unknown_model_lists_the_packs_served()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions { ModelId = "dit-xl-2" }));

        Assert.Contains("dit-xl-2", e.Message, StringComparison.Ordinal);
        Assert.Contains(TinyFlexiDiTPack.Name, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_count_above_the_task_maximum_is_refused_before_running()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions { Count = 3 }.WithTaskType("ad-creative")));

        Assert.Contains("maximum of 2 images per 'ad-creative' request", e.Message, StringComparison.Ordinal);
        Assert.Null(generator.GetService<FlexiDiT.Engine.GenerationEngine>());
    }

    [Theory]
    [InlineData("image/gif")]
    [InlineData("text/plain")]
    public async Task Unsupported_media_types_list_the_supported_ones(string mediaType)
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions { MediaType = mediaType }));

        Assert.Contains("image/png, image/jpeg, image/webp", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Out_of_range_knobs_are_refused()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions { Count = 0 }));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithSteps(0)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithGuidance(double.NaN)));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithDeadline(TimeSpan.Zero)));
        await Assert.ThrowsAsync<ArgumentException>(() => generator.GenerateImagesAsync("  "));
    }

    [Fact]
    public async Task A_deadline_past_the_budget_holds_limit_is_refused_before_anything_runs()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        var max = generator.Runtime.MaxDeadline;

        var e = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions().WithDeadline(max + TimeSpan.FromSeconds(1))));

        Assert.Equal(FlexiDiTGenerationOptions.DeadlineKey, e.ParamName);
        Assert.Contains($"at most {((int)max.TotalSeconds).ToString(System.Globalization.CultureInfo.InvariantCulture)} seconds (the budget hold's limit)", e.Message, StringComparison.Ordinal);
        Assert.Null(generator.GetService<FlexiDiT.Engine.GenerationEngine>());
    }

    [Fact]
    public async Task Each_refusal_names_the_option_to_fix()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        async Task<string?> RefusedOption(string prompt, ImageGenerationOptions options) =>
            (await Assert.ThrowsAnyAsync<ArgumentException>(() => generator.GenerateImagesAsync(prompt, options))).ParamName;

        Assert.Equal(nameof(ImageGenerationRequest.Prompt), await RefusedOption(" ", new ImageGenerationOptions()));
        Assert.Equal(nameof(ImageGenerationOptions.Count), await RefusedOption("a red circle", new ImageGenerationOptions { Count = 0 }));
        Assert.Equal(nameof(ImageGenerationOptions.Count), await RefusedOption("a red circle", new ImageGenerationOptions { Count = 3 }.WithTaskType("ad-creative")));
        Assert.Equal(nameof(ImageGenerationOptions.ImageSize), await RefusedOption("a red circle", new ImageGenerationOptions { ImageSize = new Size(50, 50) }));
        Assert.Equal(nameof(ImageGenerationOptions.MediaType), await RefusedOption("a red circle", new ImageGenerationOptions { MediaType = "image/gif" }));
        Assert.Equal(FlexiDiTGenerationOptions.StepsKey, await RefusedOption("a red circle", new ImageGenerationOptions().WithSteps(1001)));
        Assert.Equal(FlexiDiTGenerationOptions.GuidanceKey, await RefusedOption("a red circle", new ImageGenerationOptions().WithGuidance(101)));
        Assert.Equal(FlexiDiTGenerationOptions.DeadlineKey, await RefusedOption("a red circle", new ImageGenerationOptions().WithDeadline(TimeSpan.FromSeconds(-1))));
        Assert.Null(generator.GetService<FlexiDiT.Engine.GenerationEngine>());
    }
}
