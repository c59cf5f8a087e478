using FlexiDiT.Platform;

namespace FlexiDiT.Tests.Platform;

/// <summary>--bf16 is refused where the CPU would emulate bfloat16; the answer comes from /proc/cpuinfo's flags.</summary>
public sealed class NativeBFloat16Tests
{
    private const string Header = "processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC\n";

    [Fact]
    public void A_cpu_with_avx512_bf16_or_amx_bf16_has_it()
    {
        Assert.True(NativeBFloat16.InCpuInfo(Header + "flags\t\t: fpu avx2 avx512f avx512_bf16 avx512_fp16\n"));
        Assert.True(NativeBFloat16.InCpuInfo(Header + "flags\t\t: fpu avx2 amx_bf16 amx_tile\n"));
    }

    [Fact]
    public void An_avx2_only_cpu_has_not_even_with_similar_flag_names()
    {
        // The flags of the 2-core AMD EPYC (Zen 3) this project's CI runs on, shortened.
        Assert.False(NativeBFloat16.InCpuInfo(Header + "flags\t\t: fpu sse4_2 avx f16c avx2 sha_ni vaes vpclmulqdq bf16_like\n"));
    }

    [Fact]
    public void Text_without_a_flags_line_says_nothing() =>
        Assert.Null(NativeBFloat16.InCpuInfo(Header + "Features\t: fp asimd bf16\n"));
}
