using System.Globalization;
using System.Threading.RateLimiting;
using FlexiDiT.Governance.Policies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Polly;
using Polly.CircuitBreaker;
using Polly.Fallback;
using Polly.RateLimiting;
using Polly.Timeout;

namespace FlexiDiT.Governance.Resilience;

/// <summary>
/// Runs an engine call under the governance rules for time and health: a bounded queue in front of the engine, the
/// request's latency SLA with a fallback to a cheaper plan for tasks that may degrade, and a circuit breaker that
/// fails fast once the engine itself is broken.
/// </summary>
/// <remarks>
/// <para>Two Polly pipelines, each listed outermost first (Polly runs the first strategy added outermost):</para>
/// <list type="number">
/// <item><description>
/// Outer: concurrency limiter → fallback. The limiter is outermost so a queued call holds no engine state, and a
/// fallback keeps the slot its first attempt already holds instead of queueing again. The fallback sits outside the
/// attempt pipeline so it sees that pipeline's <see cref="TimeoutRejectedException"/>.
/// </description></item>
/// <item><description>
/// Attempt (run for the approved plan and again for the fallback): timeout → circuit breaker → engine. The breaker is
/// innermost so it counts only what the engine did: queue rejections and timeouts are not engine faults, and a
/// fallback's fault counts like any other.
/// </description></item>
/// </list>
/// <para>
/// The SLA clock starts when the call enters the pipeline, so time spent queueing counts. For a task that may
/// degrade, the approved plan gets the SLA minus a reserve for the fastest cheaper plan; if it has not finished by
/// then, the fallback runs the best cheaper plan predicted to fit the time left, until the SLA.
/// </para>
/// </remarks>
/// <typeparam name="TResult">The engine's result type.</typeparam>
public sealed class GenerationResiliencePipeline<TResult> : IDisposable
{
    private static readonly ResiliencePropertyKey<GenerationCall<TResult>> CallKey = new("FlexiDiT.Governance.GenerationCall");

    private readonly GenerationResilienceOptions options;
    private readonly IFallbackPlanSelector fallbacks;
    private readonly TimeProvider time;
    private readonly ILogger logger;
    private readonly ConcurrencyLimiter limiter;
    private readonly CircuitBreakerStateProvider circuit = new();
    private readonly ResiliencePipeline<TResult> outer;
    private readonly ResiliencePipeline<TResult> attempt;
    private Exception? lastFault;

    /// <summary>Initializes a new instance of the <see cref="GenerationResiliencePipeline{TResult}"/> class.</summary>
    /// <param name="options">The options.</param>
    /// <param name="fallbacks">Chooses cheaper plans when time runs short, usually the <see cref="ComputePolicyEngine"/>.</param>
    /// <param name="timeProvider">The clock for timeouts and the breaker, or <see langword="null"/> for the system clock.</param>
    /// <param name="logger">Where rejections, fallbacks and circuit changes are logged.</param>
    public GenerationResiliencePipeline(
        GenerationResilienceOptions options,
        IFallbackPlanSelector fallbacks,
        TimeProvider? timeProvider = null,
        ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(fallbacks);
        options.Validate();
        this.options = options;
        this.fallbacks = fallbacks;
        time = timeProvider ?? TimeProvider.System;
        this.logger = logger ?? NullLogger.Instance;
        limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions
        {
            PermitLimit = options.MaxConcurrentGenerations,
            QueueLimit = options.MaxQueuedGenerations,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
        });

        attempt = new ResiliencePipelineBuilder<TResult> { TimeProvider = time }
            .AddTimeout(new TimeoutStrategyOptions
            {
                TimeoutGenerator = args => ValueTask.FromResult(AttemptTimeout(args.Context)),
                OnTimeout = args =>
                {
                    var call = CallOf(args.Context);
                    ResilienceLog.AttemptTimedOut(this.logger, call.Current.Plan.Name, call.Current.Approval.TenantId, args.Timeout.TotalMilliseconds);
                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<TResult>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is { } ex && IsEngineFault(ex)),
                FailureRatio = options.CircuitFailureRatio,
                MinimumThroughput = options.CircuitMinimumThroughput,
                SamplingDuration = options.CircuitSamplingDuration,
                BreakDuration = options.CircuitBreakDuration,
                StateProvider = circuit,
                OnOpened = args =>
                {
                    lastFault = args.Outcome.Exception;
                    ResilienceLog.CircuitOpened(this.logger, args.Outcome.Exception, args.BreakDuration);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    ResilienceLog.CircuitHalfOpened(this.logger);
                    return default;
                },
                OnClosed = _ =>
                {
                    ResilienceLog.CircuitClosed(this.logger);
                    return default;
                },
            })
            .Build();

        outer = new ResiliencePipelineBuilder<TResult> { TimeProvider = time }
            .AddRateLimiter(new RateLimiterStrategyOptions
            {
                RateLimiter = args => AcquireSlotAsync(args.Context),
                OnRejected = args =>
                {
                    var approval = CallOf(args.Context).Current.Approval;
                    ResilienceLog.Busy(this.logger, approval.TaskType, approval.TenantId);
                    return default;
                },
            })
            .AddFallback(new FallbackStrategyOptions<TResult>
            {
                ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is TimeoutRejectedException),
                FallbackAction = args => FallBackAsync(args.Context, (TimeoutRejectedException)args.Outcome.Exception!),
            })
            .Build();
    }

    /// <summary>Gets the state of the engine's circuit breaker.</summary>
    public CircuitState CircuitState => circuit.CircuitState;

    /// <summary>Runs a generation with the approved plan, falling back to a cheaper one if time runs short and the task allows it.</summary>
    /// <param name="approval">The policy engine's approval: plan, SLA and whether the task may degrade.</param>
    /// <param name="engine">The engine call: run <see cref="GenerationAttempt.Plan"/> and honour the token, which fires at the attempt's deadline.</param>
    /// <param name="cancellationToken">The caller's cancellation; it is never counted as an engine fault.</param>
    /// <returns>The result and the attempt that produced it (its approval's cost is what to charge).</returns>
    /// <exception cref="EngineBusyException">The queue is full; retry later.</exception>
    /// <exception cref="EngineUnavailableException">The circuit is open after repeated engine faults.</exception>
    /// <exception cref="GenerationTimeoutException">The SLA ran out and no cheaper plan could take over.</exception>
    /// <exception cref="OperationCanceledException">The caller cancelled.</exception>
    public async ValueTask<GenerationOutcome<TResult>> ExecuteAsync(
        PolicyApproval approval,
        Func<GenerationAttempt, CancellationToken, ValueTask<TResult>> engine,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(approval);
        ArgumentNullException.ThrowIfNull(engine);
        cancellationToken.ThrowIfCancellationRequested();

        var call = new GenerationCall<TResult>(time, approval, PrimaryBudget(approval), engine);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(CallKey, call);
        try
        {
            var value = await outer.ExecuteAsync(
                static (ctx, self) => self.RunAttemptAsync(ctx),
                context,
                this).ConfigureAwait(false);
            return new GenerationOutcome<TResult>(value, call.Current, call.Elapsed);
        }
        catch (RateLimiterRejectedException ex)
        {
            throw new EngineBusyException(ex.RetryAfter ?? options.BusyRetryAfter, ex);
        }
        catch (BrokenCircuitException ex)
        {
            throw new EngineUnavailableException(ex.InnerException ?? lastFault, ex.RetryAfter ?? options.CircuitBreakDuration);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Releases the concurrency limiter; calls waiting in its queue fail.</summary>
    public void Dispose() => limiter.Dispose();

    private static GenerationCall<TResult> CallOf(ResilienceContext context) =>
        context.Properties.TryGetValue(CallKey, out var call)
            ? call
            : throw new InvalidOperationException("the resilience context carries no generation");

    private bool IsEngineFault(Exception exception) =>
        exception is not OperationCanceledException && options.IsEngineFault(exception);

    private TimeSpan PrimaryBudget(PolicyApproval approval)
    {
        var sla = TimeSpan.FromMilliseconds(approval.SlaMs);
        if (!approval.MayDegrade || fallbacks.FastestFallbackLatency(approval) is not { } fallbackLatency)
        {
            return sla;
        }

        // Keep enough of the SLA for the fastest fallback, but never cut the approved plan below its own prediction:
        // it was chosen because it fits, and cutting it short would make every request degrade.
        var factor = options.FallbackReserveFactor;
        var own = TimeSpan.FromMilliseconds((approval.PredictedLatencyMs ?? 0) * factor);
        var budget = TimeSpan.FromTicks(Math.Max((sla - (fallbackLatency * factor)).Ticks, own.Ticks));
        return budget <= TimeSpan.Zero || budget > sla ? sla : budget;
    }

    private TimeSpan AttemptTimeout(ResilienceContext context)
    {
        // RunAttemptAsync has already refused attempts with no time left; the floor only keeps Polly from reading a
        // non-positive timeout as "no timeout" if the clock moved in between.
        var left = CallOf(context).TimeLeftForAttempt;
        return left > TimeSpan.Zero ? left : TimeSpan.FromMilliseconds(1);
    }

    private async ValueTask<RateLimitLease> AcquireSlotAsync(ResilienceContext context)
    {
        var call = CallOf(context);

        // A call must not wait in the queue past its SLA: by then no result is useful.
        using var deadline = new CancellationTokenSource(Positive(call.TimeLeftForSla), time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.CancellationToken, deadline.Token);
        try
        {
            return await limiter.AcquireAsync(1, linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex) when (deadline.IsCancellationRequested && !context.CancellationToken.IsCancellationRequested)
        {
            throw new GenerationTimeoutException(
                string.Create(CultureInfo.InvariantCulture, $"{call.Current.Approval.TaskType}: the {call.Sla.TotalMilliseconds:0} ms SLA ran out while waiting for the engine"),
                call.Current.Plan.Name,
                call.Sla,
                call.Elapsed,
                ex);
        }
    }

    private ValueTask<TResult> RunAttemptAsync(ResilienceContext context)
    {
        var call = CallOf(context);
        if (call.TimeLeftForAttempt <= TimeSpan.Zero)
        {
            // Queueing used up this attempt's budget; let the fallback decide whether a cheaper plan still fits.
            throw new TimeoutRejectedException("the attempt's time budget was spent waiting for the engine", call.CurrentDeadline);
        }

        return attempt.ExecuteAsync(
            static (ctx, call) => call.InvokeAsync(ctx.CancellationToken),
            context,
            call);
    }

    private async ValueTask<Outcome<TResult>> FallBackAsync(ResilienceContext context, TimeoutRejectedException timeout)
    {
        var call = CallOf(context);
        var current = call.Current.Approval;
        var timeLeft = call.TimeLeftForSla;
        if (!current.MayDegrade)
        {
            return Outcome.FromException<TResult>(TimedOut(call, $"'{current.TaskType}' may not degrade", timeout));
        }

        var fallback = timeLeft > TimeSpan.Zero ? fallbacks.SelectFallback(current, timeLeft) : null;
        if (fallback is null)
        {
            return Outcome.FromException<TResult>(TimedOut(
                call,
                string.Create(CultureInfo.InvariantCulture, $"no cheaper plan is predicted to finish in the {Math.Max(0, timeLeft.TotalMilliseconds):0} ms left"),
                timeout));
        }

        ResilienceLog.FallingBack(logger, fallback.Reason);
        call.SwitchTo(fallback, timeLeft);
        var outcome = await attempt.ExecuteOutcomeAsync(
            static async (ctx, call) =>
            {
                try
                {
                    return Outcome.FromResult(await call.InvokeAsync(ctx.CancellationToken).ConfigureAwait(false));
                }
                catch (Exception ex)
                {
                    return Outcome.FromException<TResult>(ex);
                }
            },
            context,
            call).ConfigureAwait(false);

        return outcome.Exception is TimeoutRejectedException again
            ? Outcome.FromException<TResult>(TimedOut(call, "the fallback did not finish either", again))
            : outcome;
    }

    private static GenerationTimeoutException TimedOut(GenerationCall<TResult> call, string why, Exception inner) =>
        new(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{call.Current.Approval.TaskType}: {call.Current.Plan.Name} did not finish within the {call.Sla.TotalMilliseconds:0} ms SLA ({call.Elapsed.TotalMilliseconds:0} ms spent) and {why}"),
            call.Current.Plan.Name,
            call.Sla,
            call.Elapsed,
            inner);

    private static TimeSpan Positive(TimeSpan value) => value > TimeSpan.Zero ? value : TimeSpan.FromMilliseconds(1);
}
