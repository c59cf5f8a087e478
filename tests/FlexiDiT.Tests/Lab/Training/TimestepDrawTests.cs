using FlexiDiT.Training;
using TorchSharp;

namespace FlexiDiT.Tests.Lab.Training;

public class TimestepDrawTests
{
    [Fact]
    public void Without_a_share_the_draw_is_the_uniform_one_earlier_runs_resume_with()
    {
        long[] expected = torch.randint(0, 1000, [4096], generator: new torch.Generator(7)).data<long>().ToArray();
        Assert.Equal(expected, TimestepDraw.Sample(4096, new torch.Generator(7)));
    }

    [Fact]
    public void A_share_moves_that_part_of_the_rows_to_the_noisier_half()
    {
        long[] all = TimestepDraw.Sample(8192, new torch.Generator(3), highNoiseShare: 1);
        Assert.All(all, t => Assert.InRange(t, 500, 999));
        Assert.Contains(all, t => t == 999);

        // Half the rows from [500, 1000), half uniform: three quarters land in the noisier half.
        long[] half = TimestepDraw.Sample(8192, new torch.Generator(3), highNoiseShare: 0.5);
        double noisier = half.Count(t => t >= 500) / 8192.0;
        Assert.InRange(noisier, 0.72, 0.78);
        Assert.All(half, t => Assert.InRange(t, 0, 999));
        Assert.Contains(half, t => t < 500);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void A_share_outside_zero_to_one_is_refused_with_the_option_to_fix(double share)
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => TimestepDraw.Sample(4, new torch.Generator(1), share));
        Assert.Contains("--high-noise-share", e.Message);
    }
}
