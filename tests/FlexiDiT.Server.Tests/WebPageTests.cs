using FlexiDiT.Server.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlexiDiT.Server.Tests;

/// <summary>The web page in headless Chromium: it renders the API's data and draws the generated image.</summary>
[Collection(ServerCollection.Name)]
public sealed class WebPageTests(ServerFixture server)
{
    [Fact]
    public async Task The_page_shows_the_budget_and_a_generation_with_its_mode_and_cost()
    {
        Chromium.Require();
        using var client = server.Client(ServerFixture.TenantKey);

        // The key travels in the fragment, which the browser keeps to itself; the page sends it as a header.
        var dom = await Chromium.DumpDomAsync(new Uri(server.BaseAddress, $"/#key={ServerFixture.TenantKey}&prompt=a%20purple%20ring&task=draft&autorun=1").AbsoluteUri);

        Assert.Contains("data-ready=\"true\"", dom);
        Assert.Contains($"<dd id=\"budget-tenant\">{TinyFlexiDiTPack.Tenant}</dd>", dom);
        Assert.Contains("<dd id=\"result-mode\">cheap (draft)</dd>", dom);
        Assert.Matches("<dd id=\"result-cost\">[0-9.]+ credits, [0-9.,]+ credits left</dd>", dom);
        Assert.Contains("src=\"data:image/png;base64,", dom);
        Assert.Contains("alt=\"purple ring\"", dom);
        Assert.Contains("<tr class=\"chosen\"><td>cheap</td>", dom);
    }

    [Fact]
    public async Task The_page_screenshot_shows_the_generated_image_under_the_styled_header_and_budget_bar()
    {
        Chromium.Require();
        var file = Path.Combine(server.Pack.Root, $"page-{Guid.NewGuid():N}.png");

        // As a user would: the page generates once (autorun) and draws the image in the result card.
        await Chromium.ScreenshotAsync(
            new Uri(server.BaseAddress, $"/#key={ServerFixture.TenantKey}&prompt=a%20purple%20ring&task=draft&autorun=1").AbsoluteUri, file, 1000, 1000);

        // Chromium writes no screenshot for a page that failed to load (an HTTP error status, for one).
        Assert.True(File.Exists(file), "Chromium took no screenshot: the page did not load");
        using var image = Image.Load<Rgb24>(file);
        Assert.Equal((1000, 1000), (image.Width, image.Height));

        // The stylesheet applied (the header band, app.css #243b6b, across the top) and the script fetched the key's
        // budget (the meter's green bar, #2fa35a, has a width only once /v1/budget answered).
        Assert.Equal(new Rgb24(0x24, 0x3b, 0x6b), image[500, 4]);
        int green = Count(image, new Rgb24(0x2f, 0xa3, 0x5a));
        Assert.True(green > 200, $"the budget bar has {green} pixels: the page did not load the budget");

        // A failed request writes its message in app.css's error red (#b3261e); a generation that worked shows none.
        Assert.Equal(0, Count(image, new Rgb24(0xb3, 0x26, 0x1e)));

        // The generated image: app.css draws it 96×96 with a 1 px #c4c9d4 border and image-rendering: pixelated, so the
        // model's 32×32 PNG appears as 3×3 blocks of one colour each. An empty result card or an error page has no such
        // frame; a broken image has the frame but its icon and alt text inside, not the blocks.
        var (left, top) = FindSquareFrame(image, new Rgb24(0xc4, 0xc9, 0xd4), 98)
            ?? throw new Xunit.Sdk.XunitException($"no 98×98 image frame in the screenshot {file}: the page drew no generated image");
        var blocks = new List<Rgb24>();
        for (var by = 0; by < 32; by++)
        {
            for (var bx = 0; bx < 32; bx++)
            {
                var colour = image[left + 1 + (3 * bx), top + 1 + (3 * by)];
                for (var i = 0; i < 9; i++)
                {
                    Assert.Equal(colour, image[left + 1 + (3 * bx) + (i % 3), top + 1 + (3 * by) + (i / 3)]);
                }

                blocks.Add(colour);
            }
        }

        // The random-weight model draws saturated noise: many colours, mostly not the card's white, unlike a flat fill
        // or the white box of a broken image.
        int colours = blocks.Distinct().Count(), white = blocks.Count(b => b == new Rgb24(255, 255, 255));
        Assert.True(colours >= 8, $"the image in the page has only {colours} colours");
        Assert.True(white < 512, $"{white} of the image's 1024 pixels are white");
    }

    private static int Count(Image<Rgb24> image, Rgb24 colour)
    {
        var count = 0;
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (var pixel in rows.GetRowSpan(y))
                {
                    if (pixel == colour)
                    {
                        count++;
                    }
                }
            }
        });
        return count;
    }

    /// <summary>The top-left corner of the first <paramref name="size"/>-pixel square whose four edges are all <paramref name="colour"/>.</summary>
    private static (int Left, int Top)? FindSquareFrame(Image<Rgb24> image, Rgb24 colour, int size)
    {
        bool Row(int x, int y) => Enumerable.Range(x, size).All(i => image[i, y] == colour);
        bool Column(int x, int y) => Enumerable.Range(y, size).All(i => image[x, i] == colour);
        for (var y = 0; y + size <= image.Height; y++)
        {
            for (var x = 0; x + size <= image.Width; x++)
            {
                if (image[x, y] == colour && Row(x, y) && Column(x, y) && Row(x, y + size - 1) && Column(x + size - 1, y))
                {
                    return (x, y);
                }
            }
        }

        return null;
    }
}
