using System.Collections.Concurrent;
using FlexiDiT.Governance.Resilience;

namespace FlexiDiT.Governance.Tests.Resilience;

/// <summary>
/// An engine whose behaviour per plan the test scripts. It records every attempt and signals each start, so a test
/// can wait until the engine is really running before it moves the fake clock.
/// </summary>
internal sealed class ScriptedEngine
{
    private readonly Func<GenerationAttempt, CancellationToken, Task<string>> behaviour;
    private readonly SemaphoreSlim started = new(0);

    public ScriptedEngine(Func<GenerationAttempt, CancellationToken, Task<string>> behaviour) => this.behaviour = behaviour;

    public ConcurrentQueue<GenerationAttempt> Attempts { get; } = new();

    public int Calls => Attempts.Count;

    /// <summary>Returns the plan's name at once.</summary>
    public static ScriptedEngine Instant() => new((a, _) => Task.FromResult(a.Plan.Name));

    /// <summary>Runs until cancelled (the timeout or the caller), for the plans listed; others return at once.</summary>
    public static ScriptedEngine HangsOn(params string[] plans) => new(async (a, ct) =>
    {
        if (plans.Contains(a.Plan.Name))
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        }

        return a.Plan.Name;
    });

    /// <summary>Throws the given exception every time.</summary>
    public static ScriptedEngine Throws(Func<Exception> fault) => new((_, _) => throw fault());

    public ValueTask<string> RunAsync(GenerationAttempt attempt, CancellationToken cancellationToken)
    {
        Attempts.Enqueue(attempt);
        started.Release();
        return new ValueTask<string>(behaviour(attempt, cancellationToken));
    }

    public Task WaitForStartAsync() => started.WaitAsync(TimeSpan.FromSeconds(30)).ContinueWith(
        t => Assert.True(t.Result, "the engine was not called"),
        TaskScheduler.Default);
}
