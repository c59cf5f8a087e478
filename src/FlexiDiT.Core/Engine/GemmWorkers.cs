using System.Diagnostics;

namespace FlexiDiT.Engine;

/// <summary>
/// The threads that share <see cref="PackedGemm"/>'s products with the calling thread. Dedicated rather than .NET's
/// thread pool: a pool worker took 194 µs on average to start its half of a product here (2-core AMD EPYC, DiT-S/2, 48
/// products per forward), which is 9 ms of every forward. A worker spins for a short while after each product, so the
/// next one (fc2 follows fc1 at once) starts without waking it, then sleeps, so it does not take a core from libtorch's ops.
/// </summary>
/// <remarks>
/// Work is handed out as numbered items that every participant claims one at a time, so a worker that starts late does
/// fewer items instead of making the caller wait. One product runs at a time; a caller that finds the workers busy (another
/// engine thread's product) computes its product alone.
/// </remarks>
internal sealed class GemmWorkers
{
    // How long a worker keeps polling for the next product before it sleeps: back-to-back products are microseconds
    // apart, and libtorch's ops between the others last 0.5 ms and more.
    private static readonly long SpinTicks = Stopwatch.Frequency / 20_000; // 50 µs

    private readonly object gate = new();
    private readonly List<Worker> workers = [];
    private Job? current;
    private long generation;

    /// <summary>Gets the process's workers.</summary>
    public static GemmWorkers Shared { get; } = new();

    /// <summary>
    /// Runs <paramref name="body"/> for items 0 .. <paramref name="itemCount"/> − 1 on the calling thread and up to
    /// <paramref name="threads"/> − 1 workers; returns when every item is done.
    /// </summary>
    /// <param name="itemCount">How many items.</param>
    /// <param name="threads">Threads to use, the caller's included.</param>
    /// <param name="body">The work of one item; items must be independent.</param>
    public void Run(int itemCount, int threads, Action<int> body)
    {
        int helpers = Math.Min(threads, itemCount) - 1;
        if (helpers <= 0 || !Monitor.TryEnter(gate))
        {
            for (int item = 0; item < itemCount; item++) body(item);
            return;
        }

        try
        {
            while (workers.Count < helpers) workers.Add(new Worker(this, workers.Count));
            // A fresh job per product: a worker that wakes after it is done finds nothing left in the job it read, and
            // cannot take items of a later one.
            var job = new Job(body, itemCount, helpers);
            Volatile.Write(ref current, job);
            Interlocked.Increment(ref generation);
            for (int i = 0; i < helpers; i++) workers[i].Wake();
            job.Work();
            var spin = default(SpinWait);
            while (!job.Done) spin.SpinOnce(sleep1Threshold: -1);
            if (job.Failure is { } failure) throw new AggregateException("A matrix product failed on a worker thread.", failure);
        }
        finally
        {
            Monitor.Exit(gate);
        }
    }

    private sealed class Job(Action<int> body, int items, int helpers)
    {
        private int next;
        private int completed;

        public int Helpers => helpers;

        public bool Done => Volatile.Read(ref completed) == items;

        public Exception? Failure { get; private set; }

        public void Work()
        {
            for (int item = Interlocked.Increment(ref next) - 1; item < items; item = Interlocked.Increment(ref next) - 1)
            {
                try
                {
                    body(item);
                }
                catch (Exception e)
                {
                    Failure ??= e;
                }
                finally
                {
                    Interlocked.Increment(ref completed);
                }
            }
        }
    }

    private sealed class Worker
    {
        private readonly GemmWorkers owner;
        private readonly int index;
        private readonly SemaphoreSlim wake = new(0);
        private int sleeping;

        public Worker(GemmWorkers owner, int index)
        {
            this.owner = owner;
            this.index = index;
            new Thread(Loop) { IsBackground = true, Name = $"FlexiDiT GEMM worker {index + 1}" }.Start();
        }

        // Called after the generation moved on: a sleeping worker needs its semaphore, a spinning one sees the generation.
        public void Wake()
        {
            if (Volatile.Read(ref sleeping) == 1) wake.Release();
        }

        private void Loop()
        {
            long seen = Volatile.Read(ref owner.generation);
            while (true)
            {
                long since = Stopwatch.GetTimestamp();
                while (Volatile.Read(ref owner.generation) == seen)
                {
                    if (Stopwatch.GetTimestamp() - since < SpinTicks)
                    {
                        Thread.SpinWait(20);
                        continue;
                    }

                    Interlocked.Exchange(ref sleeping, 1);
                    // Re-read after announcing sleep: a product posted in between would otherwise find us awake and not signal.
                    if (Volatile.Read(ref owner.generation) == seen) wake.Wait();
                    Interlocked.Exchange(ref sleeping, 0);
                    since = Stopwatch.GetTimestamp();
                }

                seen = Volatile.Read(ref owner.generation);
                if (Volatile.Read(ref owner.current) is { } job && index < job.Helpers) job.Work();
            }
        }
    }
}
