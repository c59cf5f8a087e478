using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Governance.Resilience;

/// <summary>
/// The state of one generation as it moves through the pipeline, carried in the Polly context so that the limiter,
/// timeout and fallback strategies see the same deadline and the current attempt.
/// </summary>
internal sealed class GenerationCall<TResult>
{
    private readonly TimeProvider time;
    private readonly long started;

    public GenerationCall(
        TimeProvider time,
        PolicyApproval approval,
        TimeSpan primaryBudget,
        Func<GenerationAttempt, CancellationToken, ValueTask<TResult>> engine)
    {
        this.time = time;
        started = time.GetTimestamp();
        Sla = TimeSpan.FromMilliseconds(approval.SlaMs);
        Engine = engine;
        Current = new GenerationAttempt(approval, 0, primaryBudget);
        CurrentDeadline = primaryBudget;
    }

    public Func<GenerationAttempt, CancellationToken, ValueTask<TResult>> Engine { get; }

    public TimeSpan Sla { get; }

    /// <summary>Gets the attempt in progress, or the one that produced the result.</summary>
    public GenerationAttempt Current { get; private set; }

    /// <summary>Gets when the current attempt must end, measured from the moment the call entered the pipeline.</summary>
    public TimeSpan CurrentDeadline { get; private set; }

    public TimeSpan Elapsed => time.GetElapsedTime(started);

    public TimeSpan TimeLeftForAttempt => CurrentDeadline - Elapsed;

    public TimeSpan TimeLeftForSla => Sla - Elapsed;

    public void SwitchTo(PolicyApproval fallback, TimeSpan timeLeft)
    {
        Current = new GenerationAttempt(fallback, Current.AttemptNumber + 1, timeLeft);
        CurrentDeadline = Sla;
    }

    public ValueTask<TResult> InvokeAsync(CancellationToken cancellationToken) =>
        Engine(Current with { TimeBudget = TimeLeftForAttempt }, cancellationToken);
}
