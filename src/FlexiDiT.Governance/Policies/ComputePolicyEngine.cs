using FlexiDiT.Governance.Knowledge;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using static FlexiDiT.Governance.Policies.DecisionText;

namespace FlexiDiT.Governance.Policies;

/// <summary>
/// Decides which plan a request runs with: the cheapest plan that meets the task's quality floor and latency SLA,
/// degraded or refused when the budget cannot pay for it.
/// </summary>
/// <remarks>
/// Stateless apart from the <see cref="LatencyModel"/>, which other threads may refine; safe to share.
/// </remarks>
public sealed partial class ComputePolicyEngine : IFallbackPlanSelector
{
    private readonly ILogger logger;

    /// <summary>Initializes a new instance of the <see cref="ComputePolicyEngine"/> class.</summary>
    /// <param name="policies">The policies in force.</param>
    /// <param name="plans">The engine's plan table.</param>
    /// <param name="latency">The latency model; plans whose latency it cannot predict fall back to their measured ms per image.</param>
    /// <param name="logger">Where decisions are logged.</param>
    public ComputePolicyEngine(PolicySet policies, PlanTable plans, LatencyModel latency, ILogger<ComputePolicyEngine>? logger = null)
    {
        Policies = policies ?? throw new ArgumentNullException(nameof(policies));
        Plans = plans ?? throw new ArgumentNullException(nameof(plans));
        Latency = latency ?? throw new ArgumentNullException(nameof(latency));
        this.logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>Gets the policies in force.</summary>
    public PolicySet Policies { get; }

    /// <summary>Gets the engine's plan table.</summary>
    public PlanTable Plans { get; }

    /// <summary>Gets the latency model.</summary>
    public LatencyModel Latency { get; }

    /// <summary>Decides whether and how a request runs.</summary>
    /// <param name="request">The request.</param>
    /// <returns>An approval with plan, cost and latency, or a refusal with a reason code.</returns>
    /// <exception cref="ArgumentException">The request is malformed (empty names, count below 1, SLA below 1 ms).</exception>
    public PolicyDecision Decide(PolicyRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.TaskType, nameof(request));
        ArgumentException.ThrowIfNullOrWhiteSpace(request.TenantId, nameof(request));
        if (request.Count < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.Count, "Count must be at least 1");
        }

        if (request.SlaMs is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(request), request.SlaMs, "SlaMs must be at least 1 when given");
        }

        var decision = DecideCore(request);
        if (decision is PolicyRefusal refusal)
        {
            LogRefused(logger, request.TenantId, request.TaskType, refusal.Code, refusal.Reason);
        }
        else
        {
            LogApproved(logger, request.TenantId, request.TaskType, decision.Reason);
        }

        return decision;
    }

    /// <summary>Lists every plan with its cost and predicted latency for a task: the cost table agents consult.</summary>
    /// <param name="taskType">The task type; its floor and default SLA fill the "meets" columns.</param>
    /// <param name="count">The number of images.</param>
    /// <returns>The plans, cheapest first.</returns>
    /// <exception cref="ArgumentException">The task type is unknown or the count is below 1.</exception>
    public IReadOnlyList<PlanEstimate> Estimate(string taskType, int count)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(taskType);
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        var task = Policies.FindTask(taskType)
            ?? throw new ArgumentException($"unknown task type '{taskType}'; known: {List(Policies.Tasks.Keys)}", nameof(taskType));

        return Evaluate(count, task.QualityFloor, task.DefaultSlaMs, remainingBudget: null)
            .Select(c => new PlanEstimate
            {
                PlanName = c.Plan.Name,
                Description = c.Plan.Description,
                FlopsFraction = c.Plan.FlopsFraction,
                FlexiDiTSavedFraction = Plans.SameStepsFlopsFraction(c.Plan) is { } same ? 1 - (c.Plan.FlopsFraction / same) : null,
                FewerStepsSavedFraction = 1 - Plans.SameStepsFlopsFraction(c.Plan),
                TotalFlops = c.Flops,
                Cost = c.Cost,
                PredictedLatencyMs = c.LatencyMs,
                FrechetRatio = QualityFloor.FrechetRatio(c.Plan, Plans.FullCompute),
                ClassAccuracy = c.Plan.ClassAccuracy,
                MeetsQualityFloor = c.MeetsFloor,
                MeetsSla = c.MeetsSla,
            })
            .ToList();
    }

    /// <summary>Predicts how long a plan takes for a number of images.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="count">The number of images.</param>
    /// <returns>Milliseconds from the latency model, else from the plan's measured ms per image, else <see langword="null"/>.</returns>
    public double? PredictLatencyMs(PlanEntry plan, int count)
    {
        ArgumentNullException.ThrowIfNull(plan);
        return Latency.TryPredictPlanMs(plan, count, out var ms) ? ms : plan.MsPerImage * count;
    }

    /// <inheritdoc />
    public TimeSpan? FastestFallbackLatency(PolicyApproval current)
    {
        ArgumentNullException.ThrowIfNull(current);
        var fastest = CheaperThan(current)
            .Select(p => PredictLatencyMs(p, current.Count))
            .Where(ms => ms is not null)
            .Min();
        return fastest is { } ms ? TimeSpan.FromMilliseconds(ms) : null;
    }

    /// <inheritdoc />
    public PolicyApproval? SelectFallback(PolicyApproval current, TimeSpan timeLeft)
    {
        ArgumentNullException.ThrowIfNull(current);

        // Among the cheaper plans that still fit, the most expensive is the closest to what was approved.
        var best = CheaperThan(current)
            .Select(p => (Plan: p, LatencyMs: PredictLatencyMs(p, current.Count)))
            .Where(c => c.LatencyMs is { } ms && ms <= timeLeft.TotalMilliseconds)
            .OrderByDescending(c => c.Plan.FlopsPerImage)
            .ThenBy(c => c.LatencyMs)
            .FirstOrDefault();
        if (best.Plan is null)
        {
            return null;
        }

        var cost = Policies.Pricing.PriceOf(best.Plan.FlopsPerImage, current.Count);
        return current with
        {
            Plan = best.Plan,
            PredictedFlops = best.Plan.FlopsPerImage * current.Count,
            Cost = cost,
            PredictedLatencyMs = best.LatencyMs,
            Degraded = true,
            Reason = $"{current.TaskType}: {current.PlanName} did not finish in time; fell back to " +
                     $"{Plan(best.Plan, cost, best.LatencyMs)} to fit the {Ms(timeLeft.TotalMilliseconds)} ms left " +
                     $"of the {current.SlaMs} ms SLA (quality floor ignored)",
        };
    }

    private PolicyDecision DecideCore(PolicyRequest request)
    {
        var tenant = Policies.FindTenant(request.TenantId);
        if (tenant is null)
        {
            return Refuse(RefusalReason.UnknownTenant, $"unknown tenant '{request.TenantId}'");
        }

        var task = Policies.FindTask(request.TaskType);
        if (task is null)
        {
            return Refuse(RefusalReason.UnknownTaskType, $"unknown task type '{request.TaskType}'; known: {List(Policies.Tasks.Keys)}");
        }

        if (!tenant.Allows(task.Name))
        {
            return Refuse(RefusalReason.TaskNotAllowed, $"tenant '{tenant.Id}' may not request '{task.Name}' (allowed: {List(tenant.AllowedTaskTypes.Order(StringComparer.Ordinal))})");
        }

        if (request.Count > task.MaxCount)
        {
            return Refuse(RefusalReason.CountTooLarge, $"{task.Name}: {request.Count} images requested, at most {task.MaxCount} per request");
        }

        var sla = request.SlaMs ?? task.DefaultSlaMs;
        var floor = request.QualityFloor ?? task.QualityFloor;
        var candidates = Evaluate(request.Count, floor, sla, request.RemainingBudget);
        var context = new DecisionContext(request, task, floor, sla);

        return request.PlanName is { } explicitPlan
            ? DecideExplicit(context, candidates, explicitPlan)
            : DecideCheapest(context, candidates);
    }

    private PolicyDecision DecideExplicit(DecisionContext context, IReadOnlyList<Candidate> candidates, string planName)
    {
        var chosen = candidates.FirstOrDefault(c => c.Plan.Name == planName);
        if (chosen is null)
        {
            return Refuse(RefusalReason.UnknownPlan, $"no plan named '{planName}'; plans: {List(Plans.Plans.Select(p => p.Name))}");
        }

        if (!chosen.Affordable)
        {
            return Refuse(RefusalReason.BudgetExhausted, $"{context.Task.Name}: plan '{planName}' costs {Credits(chosen.Cost)} credits but only {Credits(context.Request.RemainingBudget ?? 0)} are left");
        }

        // The caller chose knowingly; the floor and SLA are reported, not enforced.
        var notes = new List<string>(2);
        if (!chosen.MeetsSla)
        {
            notes.Add($"predicted latency is over the {context.SlaMs} ms SLA");
        }

        if (!chosen.MeetsFloor)
        {
            notes.Add($"below the floor {context.Floor}");
        }

        var note = notes.Count == 0 ? string.Empty : $"; note: {string.Join(", ", notes)}";
        return Approve(context, chosen, degraded: false, $"{context.Task.Name}: plan requested explicitly: {Plan(chosen.Plan, chosen.Cost, chosen.LatencyMs)}{note}");
    }

    private PolicyDecision DecideCheapest(DecisionContext context, IReadOnlyList<Candidate> candidates)
    {
        var task = context.Task;
        var meetingFloor = candidates.Where(c => c.MeetsFloor).ToList();
        if (meetingFloor.Count == 0)
        {
            return Refuse(RefusalReason.QualityUnreachable, $"{task.Name}: no plan is known to meet {context.Floor} (plans without measured quality meet only 'none')");
        }

        var fitting = meetingFloor.Where(c => c.MeetsSla).ToList();
        if (fitting.Count == 0)
        {
            var fastest = meetingFloor.Where(c => c.LatencyMs is not null).MinBy(c => c.LatencyMs);
            var hint = fastest is null ? "no plan meeting it has a predictable latency" : $"fastest is {Plan(fastest.Plan, fastest.Cost, fastest.LatencyMs)}";
            return Refuse(RefusalReason.SlaUnreachable, $"{task.Name}: no plan meeting {context.Floor} finishes {context.Request.Count} image(s) within the {context.SlaMs} ms SLA; {hint}");
        }

        // Candidates are sorted cheapest first, so the first fitting one is the answer when it is affordable.
        var best = fitting[0];
        var criteria = $"{context.Floor} and SLA {context.SlaMs} ms";
        if (best.Affordable)
        {
            return Approve(context, best, degraded: false, $"{task.Name}: cheapest plan meeting {criteria}: {Plan(best.Plan, best.Cost, best.LatencyMs)}");
        }

        var left = Credits(context.Request.RemainingBudget ?? 0);
        if (!task.MayDegrade)
        {
            return Refuse(RefusalReason.BudgetExhausted, $"{task.Name}: {left} credits left cannot pay {Plan(best.Plan, best.Cost, best.LatencyMs)}, the cheapest plan meeting {criteria}, and '{task.Name}' may not degrade");
        }

        var degraded = candidates.FirstOrDefault(c => c.Affordable && c.MeetsSla);
        if (degraded is null)
        {
            return Refuse(RefusalReason.BudgetExhausted, $"{task.Name}: {left} credits left cannot pay any plan that meets the {context.SlaMs} ms SLA");
        }

        return Approve(context, degraded, degraded: true, $"{task.Name}: {left} credits left cannot pay {best.Plan.Name} ({Credits(best.Cost)} credits), the cheapest plan meeting {criteria}; degraded to {Plan(degraded.Plan, degraded.Cost, degraded.LatencyMs)}, quality floor ignored");
    }

    private List<Candidate> Evaluate(int count, QualityFloor floor, int slaMs, decimal? remainingBudget) =>
        Plans.Plans
            .Select(plan =>
            {
                var cost = Policies.Pricing.PriceOf(plan.FlopsPerImage, count);
                var latency = PredictLatencyMs(plan, count);
                return new Candidate(
                    plan,
                    plan.FlopsPerImage * count,
                    cost,
                    latency,
                    floor.IsSatisfiedBy(plan, Plans.FullCompute),
                    latency <= slaMs,
                    remainingBudget is not { } budget || cost <= budget);
            })
            .OrderBy(c => c.Cost)
            .ThenBy(c => c.Flops)
            .ThenBy(c => c.LatencyMs ?? double.MaxValue)
            .ThenBy(c => c.Plan.Name, StringComparer.Ordinal)
            .ToList();

    private IEnumerable<PlanEntry> CheaperThan(PolicyApproval current) =>
        Plans.Plans.Where(p => p.FlopsPerImage < current.Plan.FlopsPerImage);

    private static PolicyApproval Approve(DecisionContext context, Candidate chosen, bool degraded, string reason) => new()
    {
        TaskType = context.Task.Name,
        TenantId = context.Request.TenantId,
        UserId = context.Request.UserId,
        Count = context.Request.Count,
        Plan = chosen.Plan,
        PredictedFlops = chosen.Flops,
        Cost = chosen.Cost,
        PredictedLatencyMs = chosen.LatencyMs,
        SlaMs = context.SlaMs,
        QualityFloor = context.Floor,
        MayDegrade = context.Task.MayDegrade,
        Degraded = degraded,
        Reason = reason,
    };

    private static PolicyRefusal Refuse(RefusalReason code, string reason) => new() { Code = code, Reason = reason };

    [LoggerMessage(Level = LogLevel.Debug, Message = "Approved {TenantId}/{TaskType}: {Reason}")]
    private static partial void LogApproved(ILogger logger, string tenantId, string taskType, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Refused {TenantId}/{TaskType} ({Code}): {Reason}")]
    private static partial void LogRefused(ILogger logger, string tenantId, string taskType, RefusalReason code, string reason);

    private sealed record DecisionContext(PolicyRequest Request, TaskPolicy Task, QualityFloor Floor, int SlaMs);

    private sealed record Candidate(
        PlanEntry Plan, double Flops, decimal Cost, double? LatencyMs, bool MeetsFloor, bool MeetsSla, bool Affordable);
}
