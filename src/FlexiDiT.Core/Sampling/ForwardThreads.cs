using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>
/// Runs small forwards on one CPU thread. The engine lets libtorch's OpenMP threads sleep between ops (passive wait,
/// right on a shared machine), so every op of a parallel forward pays for waking them; a forward of few FLOPs (a weak
/// patch size, a single guided image) is made of many such cheap ops and runs faster on the calling thread alone.
/// Measured on a 2-core AMD EPYC (`flexidit bench`, median of 30, batch 2; OMP_NUM_THREADS 2 vs 1): the shipped Shapes
/// model at patch 4 (0.4 GFLOPs) 13.1 vs 8.0 ms; at patch 2 (1.6 GFLOPs) 31–34 vs 32–37 ms; at batch 16, patch 4
/// (2.7 GFLOPs), 48 vs 62 ms. Hence the default threshold of 1 GFLOPs. The packed linear kernel keeps all threads
/// (<see cref="Engine.CpuLinear.KeepProductThreads"/>): its workers spin briefly instead of sleeping at each op.
/// </summary>
public static class ForwardThreads
{
    /// <summary>Forwards below this many FLOPs run on one thread (CPU only); 0 turns the rule off.</summary>
    public static long SingleThreadBelowFlops { get; set; } = 1_000_000_000;

    /// <summary>
    /// Sets the calling thread's libtorch threads for a forward of <paramref name="flops"/> on <paramref name="device"/>;
    /// disposing the result restores them. A no-op off the CPU, above the threshold or where one thread is all there is.
    /// </summary>
    public static IDisposable For(Device device, long flops)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.type != DeviceType.CPU || flops >= SingleThreadBelowFlops) return NoChange.Instance;
        int threads = torch.get_num_threads();
        if (threads <= 1) return NoChange.Instance;
        var products = Engine.CpuLinear.KeepProductThreads(threads);
        torch.set_num_threads(1);
        return new Restore(threads, products);
    }

    private sealed class Restore(int threads, IDisposable products) : IDisposable
    {
        public void Dispose()
        {
            torch.set_num_threads(threads);
            products.Dispose();
        }
    }

    private sealed class NoChange : IDisposable
    {
        public static readonly NoChange Instance = new();

        public void Dispose()
        {
        }
    }
}
