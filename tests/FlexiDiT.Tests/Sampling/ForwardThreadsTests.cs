using FlexiDiT.Engine;
using FlexiDiT.Sampling;
using static TorchSharp.torch;

namespace FlexiDiT.Tests.Sampling;

/// <summary>A small forward puts libtorch on one thread and leaves the packed kernel all of them; a large one changes nothing.</summary>
public sealed class ForwardThreadsTests
{
    [SkippableFact]
    public void A_small_forward_runs_libtorch_on_one_thread_and_keeps_the_packed_kernel_s_threads_until_disposed()
    {
        int threads = get_num_threads();
        Skip.If(threads < 2, "one libtorch thread here: nothing to narrow");

        using (ForwardThreads.For(CPU, flops: 1_000))
        {
            Assert.Equal(1, get_num_threads());
            Assert.Equal(threads, CpuLinear.ProductThreads);
        }

        Assert.Equal(threads, get_num_threads());
        Assert.Equal(threads, CpuLinear.ProductThreads);
        using (ForwardThreads.For(CPU, flops: 10_000_000_000)) Assert.Equal(threads, get_num_threads());
    }
}
