namespace FlexiDiT.Packaging.Tests;

/// <summary>
/// A console app as a user writes it from the README's "Use it in your app": package references only, the two lines of
/// DI, no configuration (no options, no files). It generates two images of "a red circle" through <c>IImageGenerator</c>
/// into a folder.
/// </summary>
internal static class OutsideApp
{
    /// <summary>The app's assembly name.</summary>
    public const string Name = "OutsideApp";

    /// <summary>Writes the app's project, program and a nuget.config that adds <paramref name="feed"/> to the user's sources.</summary>
    /// <param name="folder">An empty folder outside the repository.</param>
    /// <param name="feed">The folder the packages were packed to.</param>
    /// <param name="packages">The FlexiDiT packages to reference (id and version).</param>
    public static void Write(string folder, string feed, IEnumerable<(string Id, string Version)> packages)
    {
        var references = string.Join(
            Environment.NewLine, packages.Select(p => $"""    <PackageReference Include="{p.Id}" Version="{p.Version}" />"""));
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="flexidit-packaging-test" value="{feed}" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(folder, $"{Name}.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <NoWarn>$(NoWarn);MEAI001</NoWarn>
              </PropertyGroup>
              <ItemGroup>
            {references}
                <PackageReference Include="Microsoft.Extensions.DependencyInjection" Version="10.0.0" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), """
            using FlexiDiT.Extensions.AI;
            using Microsoft.Extensions.AI;
            using Microsoft.Extensions.DependencyInjection;

            var services = new ServiceCollection();
            services.AddFlexiDiT();
            using var provider = services.BuildServiceProvider();

            var generator = provider.GetRequiredService<IImageGenerator>();
            // A deadline a busy machine meets: the default task type's 2 s SLA is refused up front where the calibrated
            // latency says it cannot be met (a shared 2-core CI machine).
            var response = await generator.GenerateImagesAsync("a red circle", new ImageGenerationOptions { Count = 2 }.WithDeadline(TimeSpan.FromMinutes(1)));
            var images = response.Contents.OfType<DataContent>().ToList();
            Directory.CreateDirectory(args[0]);
            for (int i = 0; i < images.Count; i++)
            {
                File.WriteAllBytes(Path.Combine(args[0], $"image-{i + 1}.png"), images[i].Data.ToArray());
            }

            Console.WriteLine($"wrote {images.Count} images");
            """);
    }
}
