using SixLabors.ImageSharp;
using SixLabors.ImageSharp.Formats;
using SixLabors.ImageSharp.Formats.Jpeg;
using SixLabors.ImageSharp.Formats.Png;
using SixLabors.ImageSharp.Formats.Webp;
using SixLabors.ImageSharp.PixelFormats;
using SixLabors.ImageSharp.Processing;
using static TorchSharp.torch;

namespace FlexiDiT.Imaging;

/// <summary>Samples in [-1, 1] → RGB images, upscaled for viewing, encoded as PNG, JPEG or WebP.</summary>
public static class ImageExport
{
    /// <summary>The media types this product writes.</summary>
    public static IReadOnlyList<string> SupportedMediaTypes { get; } = ["image/png", "image/jpeg", "image/webp"];

    /// <summary>Converts (N, 3, H, W) samples in [-1, 1] to images.</summary>
    public static Image<Rgb24>[] ToImages(Tensor samples)
    {
        if (samples.dim() != 4 || samples.shape[1] != 3)
            throw new ArgumentException($"Expected RGB samples (N, 3, H, W); got [{string.Join(", ", samples.shape)}].", nameof(samples));
        using var bytes = ((samples.detach().cpu().clamp(-1, 1) + 1) * 127.5).round().to(ScalarType.Byte).permute(0, 2, 3, 1).contiguous();
        byte[] all = bytes.data<byte>().ToArray();
        int n = (int)samples.shape[0], h = (int)samples.shape[2], w = (int)samples.shape[3];
        return Enumerable.Range(0, n).Select(i => Image.LoadPixelData<Rgb24>(all.AsSpan(i * h * w * 3, h * w * 3), w, h)).ToArray();
    }

    /// <summary>
    /// Upscales to <paramref name="size"/>×<paramref name="size"/> by an integer factor with nearest-neighbour,
    /// which shows the pixels the model made and invents none (the honest choice for a 32×32 model).
    /// </summary>
    public static Image<Rgb24> Upscale(Image<Rgb24> image, int size)
    {
        if (size == image.Width) return image.Clone();
        if (size < image.Width || size % image.Width != 0)
            throw new ArgumentException($"Size {size} is not a whole multiple of the native {image.Width}×{image.Height}; use {string.Join(", ", Enumerable.Range(1, 16).Select(k => k * image.Width))}.", nameof(size));
        return image.Clone(c => c.Resize(size, size, KnownResamplers.NearestNeighbor));
    }

    /// <summary>Lays images out in a grid (rows of <paramref name="columns"/>), with a 2-pixel gap.</summary>
    public static Image<Rgb24> Grid(IReadOnlyList<Image<Rgb24>> images, int columns)
    {
        int w = images[0].Width, h = images[0].Height, gap = 2;
        int rows = (images.Count + columns - 1) / columns;
        var grid = new Image<Rgb24>(columns * (w + gap) + gap, rows * (h + gap) + gap, new Rgb24(255, 255, 255));
        for (int i = 0; i < images.Count; i++)
        {
            var image = images[i];
            var at = new Point(gap + i % columns * (w + gap), gap + i / columns * (h + gap));
            grid.Mutate(c => c.DrawImage(image, at, 1f));
        }
        return grid;
    }

    /// <summary>The encoder of a media type (png, jpeg, webp).</summary>
    public static IImageEncoder Encoder(string mediaType) => mediaType.ToLowerInvariant() switch
    {
        "image/png" => new PngEncoder(),
        "image/jpeg" or "image/jpg" => new JpegEncoder { Quality = 95 },
        "image/webp" => new WebpEncoder { FileFormat = WebpFileFormatType.Lossless },
        _ => throw new ArgumentException($"Media type '{mediaType}' is not supported; use one of {string.Join(", ", SupportedMediaTypes)}.", nameof(mediaType)),
    };

    /// <summary>The file extension of a media type.</summary>
    public static string Extension(string mediaType) => mediaType.ToLowerInvariant() switch
    {
        "image/jpeg" or "image/jpg" => ".jpg",
        "image/webp" => ".webp",
        _ => ".png",
    };

    /// <summary>Encodes an image.</summary>
    public static byte[] Encode(Image<Rgb24> image, string mediaType = "image/png")
    {
        using var stream = new MemoryStream();
        image.Save(stream, Encoder(mediaType));
        return stream.ToArray();
    }

    /// <summary>The media type implied by a file name's extension.</summary>
    public static string MediaTypeOf(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".jpg" or ".jpeg" => "image/jpeg",
        ".webp" => "image/webp",
        ".png" => "image/png",
        var other => throw new ArgumentException($"Cannot write '{other}' images; use .png, .jpg or .webp.", nameof(path)),
    };
}
