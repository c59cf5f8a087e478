using FlexiDiT.Diffusion;

namespace FlexiDiT.Tests.Diffusion;

/// <summary>Respacing matches the official space_timesteps.</summary>
public class RespacingTests
{
    [Fact]
    public void Ten_steps_are_evenly_strided_with_python_rounding()
    {
        // np: frac_stride = 999/9 = 111; round() of multiples.
        Assert.Equal([0, 111, 222, 333, 444, 555, 666, 777, 888, 999], Respacing.Timesteps(1000, "10"));
    }

    [Fact]
    public void Sections_split_the_schedule()
    {
        var steps = Respacing.Timesteps(1000, "2,3");
        Assert.Equal([0, 499, 500, 750, 999], steps);
    }

    [Fact]
    public void Ddim_uses_an_integer_stride()
    {
        Assert.Equal(Enumerable.Range(0, 50).Select(i => i * 20), Respacing.Timesteps(1000, "ddim50"));
    }

    [Theory]
    [InlineData("ddim999")]
    [InlineData("abc")]
    [InlineData("2000")]
    public void Impossible_respacings_are_clear_errors(string spec)
    {
        var e = Assert.Throws<ArgumentException>(() => Respacing.Timesteps(1000, spec));
        Assert.Contains(spec, e.Message);
    }

    [Fact]
    public void Full_schedule_betas_are_linear()
    {
        var d = new GaussianDiffusion();
        Assert.Equal(1000, d.NumSteps);
        Assert.Equal(1e-4, d.Betas[0], 12);
        Assert.Equal(0.02, d.Betas[999], 12);
    }
}
