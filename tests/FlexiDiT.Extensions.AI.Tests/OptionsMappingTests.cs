using Size = System.Drawing.Size;
using FlexiDiT.Extensions.AI.Tests.Support;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Time.Testing;

namespace FlexiDiT.Extensions.AI.Tests;

/// <summary>How <see cref="ImageGenerationOptions"/> map onto FlexiDiT: count, size, media type, response format, model.</summary>
[Collection(TinyPackCollection.Name)]
public sealed class OptionsMappingTests(TinyFlexiDiTPack pack)
{
    [Fact]
    public async Task Defaults_give_one_native_png_as_data()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var response = await generator.GenerateImagesAsync("a red circle");

        var image = Assert.IsType<DataContent>(Assert.Single(response.Contents));
        Assert.Equal("image/png", image.MediaType);
        Assert.Equal("image/png", SixLabors.ImageSharp.Image.DetectFormat(image.Data.ToArray()).DefaultMimeType);
        using var decoded = SixLabors.ImageSharp.Image.Load(image.Data.ToArray());
        Assert.Equal((32, 32), (decoded.Width, decoded.Height));
        Assert.Equal("red circle", image.AdditionalProperties?[FlexiDiTContentKeys.ClassName]);
    }

    [Fact]
    public async Task Count_size_and_media_type_are_honoured()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var response = await generator.GenerateImagesAsync(
            "blue squares", new ImageGenerationOptions { Count = 3, ImageSize = new Size(96, 96), MediaType = "image/jpeg" });

        Assert.Equal(3, response.Contents.Count);
        foreach (var content in response.Contents)
        {
            var image = Assert.IsType<DataContent>(content);
            Assert.Equal("image/jpeg", image.MediaType);
            Assert.Equal("image/jpeg", SixLabors.ImageSharp.Image.DetectFormat(image.Data.ToArray()).DefaultMimeType);
            using var decoded = SixLabors.ImageSharp.Image.Load(image.Data.ToArray());
            Assert.Equal((96, 96), (decoded.Width, decoded.Height));
        }

        Assert.Equal([0, 1, 2], response.Contents.Select(c => (int)c.AdditionalProperties![FlexiDiTContentKeys.Index]!));
        Assert.Equal(3, response.GetFlexiDiTReport()!.Count);
    }

    [Fact]
    public async Task Upscaling_is_nearest_neighbour_so_each_model_pixel_becomes_a_solid_block()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        var options = new ImageGenerationOptions { ImageSize = new Size(64, 64) }.WithSeed(5).WithMode("full");

        var native = await generator.GenerateImagesAsync("green triangle", new ImageGenerationOptions().WithSeed(5).WithMode("full"));
        var large = await generator.GenerateImagesAsync("green triangle", options);

        using var small = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(((DataContent)native.Contents[0]).Data.ToArray());
        using var big = SixLabors.ImageSharp.Image.Load<SixLabors.ImageSharp.PixelFormats.Rgb24>(((DataContent)large.Contents[0]).Data.ToArray());
        for (var y = 0; y < 64; y++)
        {
            for (var x = 0; x < 64; x++)
            {
                Assert.Equal(small[x / 2, y / 2], big[x, y]);
            }
        }
    }

    [Fact]
    public async Task Webp_is_encoded_as_webp()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var response = await generator.GenerateImagesAsync("yellow cross", new ImageGenerationOptions { MediaType = "image/webp" });

        var image = Assert.IsType<DataContent>(Assert.Single(response.Contents));
        Assert.Equal("image/webp", image.MediaType);
        Assert.Equal("image/webp", SixLabors.ImageSharp.Image.DetectFormat(image.Data.ToArray()).DefaultMimeType);
    }

    [Fact]
    public async Task Uri_format_writes_files_to_the_output_folder_and_returns_file_uris()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2031, 5, 6, 7, 8, 9, TimeSpan.Zero));
        var options = pack.CreateOptions(o => o.TimeProvider = clock);
        using var generator = new FlexiDiTImageGenerator(options);

        var response = await generator.GenerateImagesAsync(
            "purple ring", new ImageGenerationOptions { ResponseFormat = ImageGenerationResponseFormat.Uri, Count = 2, MediaType = "image/webp" });

        Assert.Equal(2, response.Contents.Count);
        foreach (var content in response.Contents)
        {
            var uri = Assert.IsType<UriContent>(content);
            Assert.True(uri.Uri.IsFile);
            Assert.Equal("image/webp", uri.MediaType);
            Assert.Equal(Path.GetFullPath(options.OutputFolder!), Path.GetDirectoryName(uri.Uri.LocalPath));
            Assert.EndsWith(".webp", uri.Uri.LocalPath, StringComparison.Ordinal);
            Assert.StartsWith("20310506-070809-", Path.GetFileName(uri.Uri.LocalPath), StringComparison.Ordinal);
            Assert.Equal("image/webp", SixLabors.ImageSharp.Image.DetectFormat(await File.ReadAllBytesAsync(uri.Uri.LocalPath)).DefaultMimeType);
        }
    }

    [Fact]
    public async Task Model_id_selects_a_pack_by_name()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());

        var response = await generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions { ModelId = "TINY-shapes" });

        Assert.Equal(TinyFlexiDiTPack.Name, response.GetFlexiDiTReport()!.Model);
    }

    [Fact]
    public async Task Additional_packs_stay_selectable_while_the_default_pack_is_missing()
    {
        var missing = Path.Combine(pack.Root, "not-trained-yet");
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions(o =>
        {
            o.Model = missing;
            o.AdditionalModels.Add(pack.PackFolder);
        }));

        // Metadata must not fail: it names the default pack as configured until its manifest can be read.
        Assert.Equal(missing, generator.GetService<ImageGeneratorMetadata>()!.DefaultModelId);
        var response = await generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions { ModelId = TinyFlexiDiTPack.Name });
        Assert.Equal(TinyFlexiDiTPack.Name, response.GetFlexiDiTReport()!.Model);

        await Assert.ThrowsAsync<FileNotFoundException>(() => generator.GenerateImagesAsync("a red circle"));
        var e = await Assert.ThrowsAsync<ArgumentException>(() =>
            generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions { ModelId = "other" }));
        Assert.Contains($"{TinyFlexiDiTPack.Name}", e.Message, StringComparison.Ordinal);
        Assert.Contains("not loadable", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_same_seed_and_mode_give_the_same_image()
    {
        using var generator = new FlexiDiTImageGenerator(pack.CreateOptions());
        var options = new ImageGenerationOptions().WithSeed(42).WithMode("weak");

        var first = await generator.GenerateImagesAsync("orange square", options);
        var second = await generator.GenerateImagesAsync("orange square", options);
        var other = await generator.GenerateImagesAsync("orange square", new ImageGenerationOptions().WithSeed(43).WithMode("weak"));

        var bytes = ((DataContent)first.Contents[0]).Data.ToArray();
        Assert.Equal(bytes, ((DataContent)second.Contents[0]).Data.ToArray());
        Assert.NotEqual(bytes, ((DataContent)other.Contents[0]).Data.ToArray());
        Assert.Equal(42L, first.GetFlexiDiTReport()!.Seed);
    }
}
