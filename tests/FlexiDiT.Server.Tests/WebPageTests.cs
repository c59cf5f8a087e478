using FlexiDiT.Server.Tests.Support;
using SixLabors.ImageSharp;
using SixLabors.ImageSharp.PixelFormats;

namespace FlexiDiT.Server.Tests;

/// <summary>The web page in headless Chromium: it renders the API's data and draws something visible.</summary>
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
    public async Task The_page_screenshot_is_a_non_blank_png_of_the_window_size()
    {
        Chromium.Require();
        var file = Path.Combine(server.Pack.Root, $"page-{Guid.NewGuid():N}.png");

        await Chromium.ScreenshotAsync(new Uri(server.BaseAddress, $"/#key={ServerFixture.TenantKey}").AbsoluteUri, file, 1000, 800);

        using var image = Image.Load<Rgb24>(file);
        Assert.Equal((1000, 800), (image.Width, image.Height));
        var colours = new HashSet<Rgb24>();
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y += 4)
            {
                foreach (var pixel in rows.GetRowSpan(y))
                {
                    colours.Add(pixel);
                }
            }
        });

        // A blank or error page has a handful of colours; text, the header and the budget bar give many.
        Assert.True(colours.Count > 20, $"the screenshot has only {colours.Count} colours");

        // The stylesheet applied (the header band, app.css #243b6b, across the top) and the script fetched the key's
        // budget (the meter's green bar, #2fa35a, has a width only once /v1/budget answered).
        Assert.Equal(new Rgb24(0x24, 0x3b, 0x6b), image[500, 4]);
        var budgetGreen = new Rgb24(0x2f, 0xa3, 0x5a);
        int green = 0;
        image.ProcessPixelRows(rows =>
        {
            for (var y = 0; y < rows.Height; y++)
            {
                foreach (var pixel in rows.GetRowSpan(y))
                {
                    if (pixel == budgetGreen)
                    {
                        green++;
                    }
                }
            }
        });
        Assert.True(green > 200, $"the budget bar has {green} pixels: the page did not load the budget");
    }
}
