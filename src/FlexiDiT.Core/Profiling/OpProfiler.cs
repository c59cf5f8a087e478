using System.Diagnostics;

namespace FlexiDiT.Profiling;

/// <summary>
/// Books the wall time of a forward's parts by <see cref="ForwardOp"/>, for the thread that started it. The model's code
/// marks its parts with <see cref="Measure"/>, which does nothing while no profiler runs on the thread. A part's time is
/// exclusive: a part measured inside another is booked to itself only, so parts never overlap and their sum is at most
/// the forward's time; a part measured inside a part of the same kind is that part (one call). On CPU libtorch's ops
/// return when their results are ready, so wall time is the ops' time.
/// </summary>
public sealed class OpProfiler : IDisposable
{
    private const int MaxNesting = 16;

    [ThreadStatic]
    private static OpProfiler? active;

    private static readonly int OpCount = Enum.GetValues<ForwardOp>().Length;
    private readonly long[] ticks = new long[OpCount];
    private readonly int[] calls = new int[OpCount];
    private readonly long[] nestedTicks = new long[MaxNesting];
    private readonly ForwardOp[] openParts = new ForwardOp[MaxNesting];
    private int depth;

    private OpProfiler()
    {
    }

    /// <summary>Starts profiling the current thread's forwards until the returned profiler is disposed.</summary>
    /// <exception cref="InvalidOperationException">A profiler already runs on this thread.</exception>
    public static OpProfiler Start()
    {
        if (active is not null) throw new InvalidOperationException("A profiler already runs on this thread; dispose it before starting another.");
        return active = new OpProfiler();
    }

    /// <summary>Times the part of kind <paramref name="op"/> until the returned scope is disposed (a no-op without a profiler).</summary>
    public static Scope Measure(ForwardOp op)
    {
        var profiler = active;
        if (profiler is null || (profiler.depth > 0 && profiler.openParts[profiler.depth - 1] == op)) return default;
        if (profiler.depth == MaxNesting) throw new InvalidOperationException($"Profiled parts nest deeper than {MaxNesting}.");
        profiler.openParts[profiler.depth] = op;
        profiler.nestedTicks[profiler.depth++] = 0;
        return new Scope(profiler, op, Stopwatch.GetTimestamp());
    }

    /// <summary>The time booked to <paramref name="op"/> since the last <see cref="Reset"/>.</summary>
    public TimeSpan Elapsed(ForwardOp op) => Stopwatch.GetElapsedTime(0, ticks[(int)op]);

    /// <summary>How many parts of kind <paramref name="op"/> ended since the last <see cref="Reset"/>.</summary>
    public int Calls(ForwardOp op) => calls[(int)op];

    /// <summary>Forgets everything booked so far (between forwards).</summary>
    /// <exception cref="InvalidOperationException">A part is still being measured.</exception>
    public void Reset()
    {
        if (depth != 0) throw new InvalidOperationException("Cannot reset the profiler while a part is being measured.");
        Array.Clear(ticks);
        Array.Clear(calls);
    }

    /// <summary>Stops profiling the thread.</summary>
    public void Dispose()
    {
        if (ReferenceEquals(active, this)) active = null;
    }

    private void End(ForwardOp op, long start)
    {
        long elapsed = Stopwatch.GetTimestamp() - start;
        long nested = nestedTicks[--depth];
        ticks[(int)op] += elapsed - nested;
        calls[(int)op]++;
        if (depth > 0) nestedTicks[depth - 1] += elapsed;
    }

    /// <summary>One part being measured; disposing it books its time.</summary>
    public readonly struct Scope : IDisposable
    {
        private readonly OpProfiler? profiler;
        private readonly ForwardOp op;
        private readonly long start;

        internal Scope(OpProfiler profiler, ForwardOp op, long start)
        {
            this.profiler = profiler;
            this.op = op;
            this.start = start;
        }

        /// <summary>Books the part's time (nothing for the scope of an inactive profiler).</summary>
        public void Dispose() => profiler?.End(op, start);
    }
}
