using FlexiDiT.Engine;

namespace FlexiDiT.Tests.Engine;

/// <summary>When a failed TorchSharp load is blamed on the host's libstdc++ (and so gets the one-line fix message).</summary>
public sealed class TorchNativeLibraryTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("flexidit-libstdcxx-").FullName;

    [Fact]
    public void A_libstdcxx_without_the_required_version_is_blamed_on_linux_only()
    {
        var old = Library("old.so", "GLIBCXX_3.4.29\0GLIBCXX_3.4.30\0");

        Assert.Equal(OperatingSystem.IsLinux(), TorchNativeLibrary.HostLacksRequiredGlibcxx([old]));
    }

    [Fact]
    public void A_libstdcxx_with_the_required_version_is_not_blamed()
    {
        var old = Library("old.so", "GLIBCXX_3.4.30\0");
        var recent = Library("recent.so", "GLIBCXX_3.4.31\0" + TorchNativeLibrary.RequiredGlibcxx + "\0");

        Assert.False(TorchNativeLibrary.HostLacksRequiredGlibcxx([old, recent]));
    }

    [Fact]
    public void No_libstdcxx_found_is_not_blamed()
    {
        Assert.False(TorchNativeLibrary.HostLacksRequiredGlibcxx([Path.Combine(folder, "absent.so")]));
    }

    [Fact]
    public void The_native_library_loads_here()
    {
        // The build patched this test's copy where the host needs it, so loading must succeed on every supported host.
        TorchNativeLibrary.EnsureLoaded();
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Library(string name, string content)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, "\u007fELF" + content);
        return path;
    }
}
