using static TorchSharp.torch;

namespace FlexiDiT.Tests;

/// <summary>
/// Whether two batches of images in [-1, 1] are the same picture. Not bit for bit: the row a job takes in a batched
/// matrix product changes the rounding of its sums in some BLAS kernels (OpenBLAS's), so the same seed gives the same
/// image to within half an 8-bit level, which saving it as a PNG turns into at most one level on a few pixels.
/// </summary>
internal static class SamePixels
{
    private const double HalfLevel = 1.0 / 255; // one 8-bit level spans 2/255 of [-1, 1]

    public static void AssertSame(Tensor expected, Tensor actual, string what)
    {
        Assert.Equal(expected.shape, actual.shape);
        var difference = (expected - actual).abs().max().item<float>();
        Assert.True(difference <= HalfLevel, $"{what}: images differ by up to {difference} (more than half an 8-bit level)");
    }

    public static void AssertDifferent(Tensor first, Tensor second, string what)
    {
        var difference = (first - second).abs().max().item<float>();
        Assert.True(difference > 0.1, $"{what}: images differ by at most {difference}, so they are the same picture");
    }
}
