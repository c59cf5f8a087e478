using System.Text;
using System.Text.Json;
using Xunit.Abstractions;

namespace FlexiDiT.Packaging.Tests;

/// <summary>
/// The product as someone outside this repository gets it: the packages `dotnet pack` makes, used by a fresh app in a
/// temporary folder (package references only, <c>services.AddFlexiDiT()</c>, no configuration), and the <c>flexidit</c>
/// tool installed from the same feed.
/// </summary>
/// <remarks>
/// The slowest tests of the suite: packing (the tool package holds this platform's ~450 MB of TorchSharp native
/// libraries), restoring and building the app and installing the tool take a few minutes together, once per run
/// (<see cref="PackedFeed"/>); each generation is seconds.
/// </remarks>
public sealed class PackagedProductTests(PackedFeed feed, ITestOutputHelper output) : IClassFixture<PackedFeed>
{
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromMinutes(5);
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private static readonly string[] Libraries = ["FlexiDiT.Core", "FlexiDiT.Governance", "FlexiDiT.Extensions.AI", "FlexiDiT.SemanticKernel"];

    [Fact]
    public void Every_package_is_made_with_its_metadata_readme_and_symbols()
    {
        var packages = feed.Packages.Select(PackageFile.Read).ToList();
        foreach (var file in Directory.GetFiles(feed.Feed).Order(StringComparer.Ordinal))
        {
            output.WriteLine($"{Path.GetFileName(file)}: {new FileInfo(file).Length / 1024.0 / 1024.0:F2} MiB");
        }

        var modelPacks = Directory.GetDirectories(Path.Combine(PackedFeed.RepositoryRoot, "models"))
            .Where(d => File.Exists(Path.Combine(d, "pack.json")))
            .Select(Path.GetFileName)
            .ToList();
        var modelPackages = packages.Where(p => p.Id.StartsWith("FlexiDiT.Models.", StringComparison.Ordinal)).ToList();
        Assert.Equal(modelPacks.Count, modelPackages.Count);
        Assert.Contains(modelPackages, p => p.Id == "FlexiDiT.Models.Shapes");
        string[] expected = [.. Libraries, .. modelPackages.Select(p => p.Id), "flexidit", $"flexidit.{feed.ToolRuntime}"];
        Assert.Equal(expected.Order(StringComparer.Ordinal), packages.Select(p => p.Id).Order(StringComparer.Ordinal));

        foreach (var package in packages.Where(p => p.Id != $"flexidit.{feed.ToolRuntime}"))
        {
            Assert.Equal(feed.Version, package.Value("version"));
            Assert.False(string.IsNullOrWhiteSpace(package.Value("description")), $"{package.Id} has no description");
            Assert.Equal("expression", package.Element("license")?.Attribute("type")?.Value);
            Assert.False(string.IsNullOrWhiteSpace(package.Element("repository")?.Attribute("url")?.Value), $"{package.Id} names no repository");
            Assert.Equal("README.md", package.Value("readme"));
            Assert.Contains("README.md", package.Entries);
            Assert.False(string.IsNullOrWhiteSpace(package.Value("tags")), $"{package.Id} has no tags");

            // The build's style analyzer is for this repository only; a package depending on it would run it in the user's build.
            var dependencies = package.Element("dependencies")?.Descendants().Where(e => e.Name.LocalName == "dependency").Select(e => e.Attribute("id")?.Value) ?? [];
            Assert.DoesNotContain("StyleCop.Analyzers", dependencies, StringComparer.OrdinalIgnoreCase);
        }

        foreach (var library in Libraries)
        {
            var package = packages.Single(p => p.Id == library);
            Assert.Contains($"lib/net10.0/{library}.dll", package.Entries);
            Assert.Contains($"lib/net10.0/{library}.xml", package.Entries);
            Assert.True(File.Exists(Path.Combine(feed.Feed, $"{library}.{feed.Version}.snupkg")), $"{library} has no symbol package");
        }

        Assert.Contains("buildTransitive/FlexiDiT.Core.targets", packages.Single(p => p.Id == "FlexiDiT.Core").Entries);
        foreach (var package in modelPackages)
        {
            Assert.Contains($"buildTransitive/{package.Id}.targets", package.Entries);
            Assert.Single(package.Entries, e => e.StartsWith("models/", StringComparison.Ordinal) && e.EndsWith("/pack.json", StringComparison.Ordinal));
        }

        var tool = packages.Single(p => p.Id == $"flexidit.{feed.ToolRuntime}");
        Assert.Contains(tool.Entries, e => e.EndsWith("/models/shapes-flexidit/model.safetensors", StringComparison.Ordinal));
        // The lab (training, evaluation, benchmarks) is no package of its own: the tool carries it.
        Assert.Contains(tool.Entries, e => e.EndsWith("/FlexiDiT.Lab.dll", StringComparison.Ordinal));
        Assert.Equal("DotnetTool", packages.Single(p => p.Id == "flexidit").Element("packageTypes")?.Elements().Single().Attribute("name")?.Value);
    }

    [Fact]
    public async Task An_app_outside_the_repository_generates_two_images_with_no_configuration()
    {
        var app = Directory.CreateDirectory(Path.Combine(feed.Root, "app")).FullName;
        var models = feed.Packages.Select(p => PackageFile.IdOf(p, feed.Version)).Where(id => id.StartsWith("FlexiDiT.Models.", StringComparison.Ordinal));
        OutsideApp.Write(app, feed.Feed, [("FlexiDiT.Extensions.AI", feed.Version), .. models.Select(id => (id, feed.Version))]);
        await ProcessRunner.RunCheckedAsync(PackedFeed.Dotnet, ["build", "-c", "Release", "-nodeReuse:false", "-v:m"], app, feed.ChildEnvironment, BuildTimeout);
        var dll = Path.Combine(app, "bin", "Release", "net10.0", OutsideApp.Name + ".dll");
        var images = Path.Combine(feed.Root, "app-images");

        var run = await ProcessRunner.RunCheckedAsync(PackedFeed.Dotnet, [dll, images], app, feed.ChildEnvironment, RunTimeout);

        Assert.Contains("wrote 2 images", run);
        var files = Directory.GetFiles(images, "*.png").Order(StringComparer.Ordinal).Select(File.ReadAllBytes).ToList();
        Assert.Equal(2, files.Count);
        Assert.All(files, f => Assert.Equal(PngSignature, f.Take(PngSignature.Length)));
        Assert.NotEqual(files[0], files[1]);
        Assert.True(File.Exists(Path.Combine(feed.UserData, "FlexiDiT", "ledger.db")), "the ledger is not in the per-user data folder");

        if (HostLacksGlibcxx3432())
        {
            // Where the build step could not patch TorchSharp's library (here: the original copied back over it), the app
            // fails with one line that says what to do.
            File.Copy(OriginalTorchSharpNativeLibrary(app), Path.Combine(app, "bin", "Release", "net10.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so"), overwrite: true);
            var (exitCode, failure) = await ProcessRunner.RunAsync(PackedFeed.Dotnet, [dll, images], app, feed.ChildEnvironment, RunTimeout);
            Assert.NotEqual(0, exitCode);
            Assert.Contains("TorchSharp's native library needs GLIBCXX_3.4.32 (libstdc++ of GCC 13), which this system lacks, and it was not patched: build or publish the app normally", failure);
        }
    }

    [Fact]
    public async Task The_tool_installed_from_the_feed_generates_an_image()
    {
        var tools = Path.Combine(feed.Root, "tools");
        await ProcessRunner.RunCheckedAsync(
            PackedFeed.Dotnet,
            ["tool", "install", "flexidit", "--version", feed.Version, "--add-source", feed.Feed, "--tool-path", tools],
            feed.Root,
            feed.ChildEnvironment,
            BuildTimeout);
        var image = Path.Combine(feed.Root, "tool-images", "red.png");

        var run = await ProcessRunner.RunCheckedAsync(
            Path.Combine(tools, OperatingSystem.IsWindows() ? "flexidit.exe" : "flexidit"), ["generate", "a red circle", "--out", image], feed.Root, feed.ChildEnvironment, RunTimeout);

        output.WriteLine(run);
        Assert.Equal(PngSignature, File.ReadAllBytes(image).Take(PngSignature.Length));
    }

    private static bool HostLacksGlibcxx3432()
    {
        string[] libstdcxx = ["/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6"];
        var present = libstdcxx.Where(File.Exists).ToList();
        return OperatingSystem.IsLinux() && present.Count > 0 &&
            !present.Any(p => Encoding.ASCII.GetString(File.ReadAllBytes(p)).Contains("GLIBCXX_3.4.32", StringComparison.Ordinal));
    }

    /// <summary>TorchSharp's libLibTorchSharp.so as its package has it, found through the app's deps.json and the NuGet cache.</summary>
    private string OriginalTorchSharpNativeLibrary(string app)
    {
        using var deps = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "bin", "Release", "net10.0", OutsideApp.Name + ".deps.json")));
        var torchSharp = deps.RootElement.GetProperty("libraries").EnumerateObject().Single(l => l.Name.StartsWith("TorchSharp/", StringComparison.Ordinal));
        return Path.Combine(feed.GlobalPackages, torchSharp.Value.GetProperty("path").GetString()!, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
    }
}
