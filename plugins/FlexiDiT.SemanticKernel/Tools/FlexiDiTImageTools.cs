using FlexiDiT.Extensions.AI;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Resilience;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlexiDiT.SemanticKernel;

/// <summary>
/// The three image tools an agent gets (generate, estimate, budget status) and the budget guard in front of them,
/// independent of any agent framework: the Semantic Kernel plugin, its filter and the plain MEAI functions all call
/// these.
/// </summary>
/// <remarks>
/// The generator is expected to charge the ledger itself (FlexiDiT's generator does, for the tenant in
/// <see cref="FlexiDiTGenerationOptions.WithTenant"/>). The guard decides the mode first, against the smaller of the
/// ledger's remaining budget and the run's own cap, and asks the generator for exactly that mode, so a run's cap
/// degrades or refuses a request the same way the ledger's budget would.
/// </remarks>
public sealed partial class FlexiDiTImageTools
{
    /// <summary>The name of the generation tool.</summary>
    public const string GenerateFunction = "generate_image";

    /// <summary>The name of the cost estimate tool.</summary>
    public const string EstimateFunction = "estimate_image_cost";

    /// <summary>The name of the budget status tool.</summary>
    public const string BudgetFunction = "get_budget_status";

    private readonly ILogger logger;
    private readonly TimeProvider time;
    private int fileCounter;

    /// <summary>Initializes a new instance of the <see cref="FlexiDiTImageTools"/> class.</summary>
    /// <param name="generator">The image generator; it charges the ledger.</param>
    /// <param name="policy">The policy engine that prices modes and decides plans.</param>
    /// <param name="ledger">The ledger the budgets are read from.</param>
    /// <param name="options">Who pays and where images go.</param>
    /// <param name="logger">Where refusals are logged.</param>
    /// <param name="timeProvider">The clock for refusal timestamps, or <see langword="null"/> for the system clock.</param>
    public FlexiDiTImageTools(
        IImageGenerator generator,
        ComputePolicyEngine policy,
        BudgetLedger ledger,
        FlexiDiTToolOptions options,
        ILogger<FlexiDiTImageTools>? logger = null,
        TimeProvider? timeProvider = null)
    {
        Generator = generator ?? throw new ArgumentNullException(nameof(generator));
        Policy = policy ?? throw new ArgumentNullException(nameof(policy));
        Ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        if (policy.Policies.FindTenant(options.TenantId) is null)
        {
            throw new ArgumentException($"tenant '{options.TenantId}' is not in the policies", nameof(options));
        }

        Options = options;
        this.logger = logger ?? (ILogger)NullLogger.Instance;
        time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>Gets the image generator.</summary>
    public IImageGenerator Generator { get; }

    /// <summary>Gets the policy engine.</summary>
    public ComputePolicyEngine Policy { get; }

    /// <summary>Gets the ledger.</summary>
    public BudgetLedger Ledger { get; }

    /// <summary>Gets the options.</summary>
    public FlexiDiTToolOptions Options { get; }

    /// <summary>Starts a run with the given caps, or the options' default caps.</summary>
    /// <param name="limits">The caps, or <see langword="null"/> for <see cref="FlexiDiTToolOptions.DefaultRunLimits"/>.</param>
    /// <returns>The run.</returns>
    public ImageRun StartRun(ImageRunLimits? limits = null) => new(limits ?? Options.DefaultRunLimits);

    /// <summary>
    /// The budget guard: counts the call against the run's caps and, for a generation, decides the mode against the
    /// money left. A refusal is recorded in the run and logged; its message tells the model what to do instead.
    /// </summary>
    /// <param name="run">The run.</param>
    /// <param name="function">The tool called.</param>
    /// <param name="request">The generation asked for; <see langword="null"/> for the other tools.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The verdict; for an allowed generation it carries the approved plan.</returns>
    public async Task<ToolVerdict> AdmitAsync(ImageRun run, string function, ImageRequest? request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(run);
        ArgumentException.ThrowIfNullOrWhiteSpace(function);
        if (run.TryCountCall() is { } capped)
        {
            return Refuse(run, function, capped.Kind, capped.Message);
        }

        if (request is null)
        {
            return ToolVerdict.Allow();
        }

        if (string.IsNullOrWhiteSpace(request.Prompt))
        {
            return Refuse(run, function, ToolRefusalKind.Policy, "Refused: the prompt is empty. Describe the image to generate.");
        }

        if (string.IsNullOrWhiteSpace(request.TaskType))
        {
            return Refuse(run, function, ToolRefusalKind.Policy, $"Refused: name a task type: {string.Join(", ", RefusalAdvice.AllowedTasks(Policy, Options.TenantId))}.");
        }

        if (request.Count < 1)
        {
            return Refuse(run, function, ToolRefusalKind.Policy, $"Refused: count must be at least 1 (got {request.Count}).");
        }

        if (request.DeadlineSeconds is { } d && !(d > 0 && d <= int.MaxValue / 1000.0))
        {
            return Refuse(run, function, ToolRefusalKind.Policy, "Refused: deadlineSeconds must be a positive number of seconds, or omitted.");
        }

        var (available, runCapBinds) = await AvailableAsync(run, cancellationToken).ConfigureAwait(false);
        var policyRequest = ToPolicyRequest(request) with { RemainingBudget = available };
        var decision = Policy.Decide(policyRequest);
        if (decision is PolicyApproval approval)
        {
            return run.TryHold(approval.Cost)
                ? ToolVerdict.Allow(approval)
                : Refuse(run, function, ToolRefusalKind.RunSpendCap,
                    $"Refused: other calls of this run in flight hold the rest of its spending cap; {approval.PlanName} would cost {CostText.Credits(approval.Cost)} credits. Wait for them, check get_budget_status, then ask for less or stop.");
        }

        var refusal = (PolicyRefusal)decision;
        return refusal.Code == RefusalReason.BudgetExhausted
            ? Refuse(run, function, runCapBinds ? ToolRefusalKind.RunSpendCap : ToolRefusalKind.Budget,
                RefusalAdvice.ForMoney(Policy, policyRequest, refusal, available, runCapBinds))
            : Refuse(run, function, ToolRefusalKind.Policy, RefusalAdvice.ForPolicy(Policy, policyRequest, refusal));
    }

    /// <summary>Generates images under the budget guard, saves them and reports what they cost.</summary>
    /// <param name="run">The run.</param>
    /// <param name="request">What to generate.</param>
    /// <param name="cancellationToken">Cancels the generation; nothing is charged then.</param>
    /// <returns>The images and cost line, or the refusal.</returns>
    public async Task<GenerateImageResult> GenerateAsync(ImageRun run, ImageRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var verdict = await AdmitAsync(run, GenerateFunction, request, cancellationToken).ConfigureAwait(false);
        return verdict.IsAllowed
            ? await GenerateAdmittedAsync(run, request, verdict.Approval!, cancellationToken).ConfigureAwait(false)
            : new GenerateImageResult(verdict.Refusal.Message, null, verdict.Refusal);
    }

    /// <summary>Generates images for a request the guard already admitted (the filter admits before the function runs).</summary>
    internal async Task<GenerateImageResult> GenerateAdmittedAsync(ImageRun run, ImageRequest request, PolicyApproval approval, CancellationToken cancellationToken)
    {
        GenerateImageResult? result = null;
        try
        {
            result = await GenerateHeldAsync(run, request, approval, cancellationToken).ConfigureAwait(false);
            return result;
        }
        finally
        {
            // The admission held the price against the run's cap: a recorded generation settled it, anything else gives it back.
            if (result?.Generation is null)
            {
                run.Release(approval.Cost);
            }
        }
    }

    private async Task<GenerateImageResult> GenerateHeldAsync(ImageRun run, ImageRequest request, PolicyApproval approval, CancellationToken cancellationToken)
    {
        var options = new ImageGenerationOptions
        {
            Count = request.Count,
            MediaType = "image/png",
            ResponseFormat = ImageGenerationResponseFormat.Data,
        }
            .WithTaskType(request.TaskType)
            .WithMode(approval.PlanName)
            .WithTenant(Options.TenantId, Options.UserId)
            .WithDeadline(request.DeadlineSeconds is { } s ? TimeSpan.FromSeconds(s) : null);

        ImageGenerationResponse response;
        try
        {
            response = await Generator.GenerateAsync(new ImageGenerationRequest(request.Prompt), options, cancellationToken).ConfigureAwait(false);
        }
        catch (ImageGenerationRefusedException e)
        {
            // The generator's own governance refused (typically someone else spent the money since our decision).
            var policyRequest = ToPolicyRequest(request);
            var (available, runCapBinds) = await AvailableAsync(run, cancellationToken).ConfigureAwait(false);
            var verdict = e.Code == RefusalReason.BudgetExhausted
                ? Refuse(run, GenerateFunction, ToolRefusalKind.Budget,
                    RefusalAdvice.ForMoney(Policy, policyRequest with { RemainingBudget = available }, e.Refusal, available, runCapBinds))
                : Refuse(run, GenerateFunction, ToolRefusalKind.Policy, RefusalAdvice.ForPolicy(Policy, policyRequest, e.Refusal));
            return new GenerateImageResult(verdict.Refusal!.Message, null, verdict.Refusal);
        }
        catch (BudgetExceededException e)
        {
            var verdict = Refuse(run, GenerateFunction, ToolRefusalKind.Budget, $"Refused: {e.Message}. Nothing was charged. Check get_budget_status and ask for less, or stop.");
            return new GenerateImageResult(verdict.Refusal!.Message, null, verdict.Refusal);
        }
        catch (ArgumentException e)
        {
            // The generator checks the request before anything is charged and names the option it refused: past the guard's
            // checks that leaves a deadline longer than a budget hold can last, and prompts that name none of the model's
            // classes (or, for the scenes model, nothing it draws: the message lists examples).
            var advice = e.ParamName == FlexiDiTGenerationOptions.DeadlineKey
                ? "Allow a shorter deadline, or leave deadlineSeconds out."
                : "Rephrase the prompt to name one thing the model knows.";
            var verdict = Refuse(run, GenerateFunction, ToolRefusalKind.Policy, $"Not generated: {e.Message} Nothing was charged. {advice}");
            return new GenerateImageResult(verdict.Refusal!.Message, null, verdict.Refusal);
        }
        catch (Exception e) when (e is EngineBusyException or EngineUnavailableException or GenerationTimeoutException or GenerationRejectedException)
        {
            var advice = e switch
            {
                EngineBusyException busy => $"The engine is busy; try again in {busy.RetryAfter?.TotalSeconds ?? 2:0} s or ask for fewer images.",
                EngineUnavailableException => "The engine is unavailable; stop and tell the user to try later.",
                GenerationTimeoutException => "Allow a longer deadline or pick a task type with a lower quality floor.",
                _ => "Change the request or stop.",
            };
            var verdict = Refuse(run, GenerateFunction, ToolRefusalKind.Engine, $"Not generated: {e.Message}. Nothing was charged. {advice}");
            return new GenerateImageResult(verdict.Refusal!.Message, null, verdict.Refusal);
        }

        var images = await SaveAsync(run, response, cancellationToken).ConfigureAwait(false);
        var record = ToRecord(request, approval, response, images);
        run.RecordGeneration(record, approval.Cost);
        return new GenerateImageResult(await DescribeAsync(run, record, approval, cancellationToken).ConfigureAwait(false), record, null);
    }

    /// <summary>Prices every mode for a request and says which one would run now.</summary>
    /// <param name="run">The run, whose cap counts as money left; <see langword="null"/> for the ledger alone.</param>
    /// <param name="taskType">The task type.</param>
    /// <param name="count">The number of images.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The estimate.</returns>
    /// <exception cref="ArgumentException">The task type is unknown or the count below 1.</exception>
    public async Task<CostEstimate> EstimateAsync(ImageRun? run, string taskType, int count, CancellationToken cancellationToken = default)
    {
        var rows = Policy.Estimate(taskType, count);
        var (available, _) = await AvailableAsync(run, cancellationToken).ConfigureAwait(false);
        var decision = Policy.Decide(new PolicyRequest
        {
            TaskType = taskType,
            TenantId = Options.TenantId,
            UserId = Options.UserId,
            Count = count,
            RemainingBudget = available,
        });
        var approval = decision as PolicyApproval;
        return new CostEstimate
        {
            TaskType = taskType,
            Count = count,
            Modes = [.. rows.Select(r => new ModeCost
            {
                Mode = r.PlanName,
                Credits = r.Cost,
                PredictedSeconds = r.PredictedLatencyMs is { } ms ? Math.Round(ms / 1000, 2) : null,
                ComputeSavedPercent = r.ComputeSavedPercent,
                FlexiDiTSavedPercent = r.FlexiDiTSavedPercent,
                FewerStepsSavedPercent = r.FewerStepsSavedPercent,
                MeetsQualityFloor = r.MeetsQualityFloor,
                MeetsDeadline = r.MeetsSla,
            })],
            WouldRun = approval?.PlanName,
            WouldCost = approval?.Cost,
            CreditsAvailable = available,
            Decision = decision.Reason,
        };
    }

    /// <summary>Reads the payer's budget from the ledger, with the run's caps.</summary>
    /// <param name="run">The run, or <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The snapshot.</returns>
    public async Task<BudgetSnapshot> GetBudgetStatusAsync(ImageRun? run, CancellationToken cancellationToken = default)
    {
        var status = await Ledger.GetStatusAsync(Options.TenantId, Options.UserId, cancellationToken).ConfigureAwait(false);
        var payer = status.User is { Limit: not null } user ? user : status.Tenant;
        return new BudgetSnapshot
        {
            TenantId = status.TenantId,
            UserId = status.UserId,
            Spent = payer.Spent,
            Reserved = payer.Reserved,
            Limit = payer.Limit,
            Remaining = status.Remaining,
            PeriodEnd = status.Period.End,
            RunSpent = run?.Spent ?? 0,
            RunSpendLeft = run?.SpendLeft,
            RunCallsLeft = run is null ? null : Math.Max(0, run.Limits.MaxCalls - run.Calls),
        };
    }

    /// <summary>Reads the payer's ledger status (for spend reports).</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The status of the tenant and, when the tools spend for a user, that user.</returns>
    public Task<BudgetStatus> GetLedgerStatusAsync(CancellationToken cancellationToken = default) =>
        Ledger.GetStatusAsync(Options.TenantId, Options.UserId, cancellationToken);

    private async Task<(decimal Available, bool RunCapBinds)> AvailableAsync(ImageRun? run, CancellationToken cancellationToken)
    {
        var ledger = await Ledger.GetRemainingAsync(Options.TenantId, Options.UserId, cancellationToken).ConfigureAwait(false);
        return run?.SpendLeft is { } left && left < ledger ? (left, true) : (ledger, false);
    }

    private PolicyRequest ToPolicyRequest(ImageRequest request) => new()
    {
        TaskType = request.TaskType,
        TenantId = Options.TenantId,
        UserId = Options.UserId,
        Count = request.Count,
        SlaMs = request.DeadlineSeconds is { } s ? (int)Math.Ceiling(s * 1000) : null,
    };

    private ToolVerdict Refuse(ImageRun run, string function, ToolRefusalKind kind, string message)
    {
        var refusal = run.RecordRefusal(function, kind, message, time.GetUtcNow());
        LogRefused(logger, run.Id, function, kind, message);
        if (kind != ToolRefusalKind.RunStopped && run.StopReason is { } stop)
        {
            LogStopped(logger, run.Id, stop);
        }

        return ToolVerdict.Refuse(refusal);
    }

    private async Task<IReadOnlyList<GeneratedImage>> SaveAsync(ImageRun run, ImageGenerationResponse response, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Options.OutputDirectory);
        var images = new List<GeneratedImage>();
        foreach (var content in response.Contents.OfType<DataContent>().Where(c => c.HasTopLevelMediaType("image")))
        {
            var n = Interlocked.Increment(ref fileCounter);
            var path = Path.GetFullPath(Path.Combine(Options.OutputDirectory, $"{run.Id}-{n:000}{ExtensionOf(content.MediaType)}"));
            await File.WriteAllBytesAsync(path, content.Data.ToArray(), cancellationToken).ConfigureAwait(false);
            var named = new DataContent(content.Data, content.MediaType) { Name = Path.GetFileName(path) };
            images.Add(new GeneratedImage(path, new Uri(path), named));
        }

        return images;
    }

    private async Task<string> DescribeAsync(ImageRun run, ImageCallRecord record, PolicyApproval approval, CancellationToken cancellationToken)
    {
        var (available, _) = await AvailableAsync(run, cancellationToken).ConfigureAwait(false);
        var line = $"{CostText.Images(record.Count)}, mode {record.Mode}, {CostText.Credits(record.Cost)} credits, " +
                   $"{CostText.Percent(record.ComputeSaved)} less compute than full" +
                   (record.ComputeSavedByFlexiDiT is { } flexi && record.ComputeSavedBySteps is { } steps && steps != 0
                       ? $" ({CostText.Percent(flexi)} by FlexiDiT at the same steps, {CostText.Percent(steps)} by {(steps > 0 ? "fewer" : "more")} steps)."
                       : ".");
        if (record.IgnoredWords.Count > 0)
        {
            // The model drew what it understood; the agent should know what it left out before showing the image.
            line += $" The model does not know {string.Join(", ", record.IgnoredWords.Select(w => $"'{w}'"))} and left {(record.IgnoredWords.Count == 1 ? "it" : "them")} out of the image.";
        }

        if (record.Degraded)
        {
            line += $" Degraded below the '{record.TaskType}' quality floor because the budget could not pay for it ({approval.Reason}).";
        }

        var files = string.Join(", ", record.Images.Select(i => i.Uri.AbsoluteUri));
        return $"{line} Saved: {files}. Credits left for this run: {CostText.Credits(available)}.";
    }

    private ImageCallRecord ToRecord(ImageRequest request, PolicyApproval approval, ImageGenerationResponse response, IReadOnlyList<GeneratedImage> images)
    {
        // FlexiDiT's generator says exactly what ran and what it charged; other generators get the decision's figures.
        if (response.GetFlexiDiTReport() is { } report)
        {
            return new ImageCallRecord
            {
                Prompt = request.Prompt,
                TaskType = report.TaskType,
                Count = images.Count,
                Mode = report.Mode,
                Cost = report.Cost,
                ComputeSaved = report.Savings.TotalFraction,
                ComputeSavedByFlexiDiT = report.Savings.FlexiDiTFraction,
                ComputeSavedBySteps = report.Savings.StepsFraction,
                Degraded = report.Degraded || approval.Degraded,
                IgnoredWords = report.IgnoredWords,
                Images = images,
            };
        }

        var usage = response.Usage?.AdditionalCounts;
        var mode = response.Contents
            .Select(c => c.AdditionalProperties is { } p && p.TryGetValue(FlexiDiTContentKeys.Mode, out string? m) ? m : null)
            .FirstOrDefault(m => m is not null) ?? approval.PlanName;
        return new ImageCallRecord
        {
            Prompt = request.Prompt,
            TaskType = request.TaskType,
            Count = images.Count,
            Mode = mode,
            Cost = usage is not null && usage.TryGetValue(FlexiDiTUsageKeys.CostMillicredits, out var milli) ? milli / 1000m : approval.Cost,
            ComputeSaved = 1 - (Policy.Plans.Find(mode) ?? approval.Plan).FlopsFraction,
            Degraded = approval.Degraded || mode != approval.PlanName,
            IgnoredWords = response.Contents
                .Select(c => c.AdditionalProperties is { } p && p.TryGetValue(FlexiDiTContentKeys.IgnoredWords, out string[]? words) ? words : null)
                .FirstOrDefault(w => w is not null) ?? [],
            Images = images,
        };
    }

    private static string ExtensionOf(string mediaType) => mediaType.ToLowerInvariant() switch
    {
        "image/jpeg" => ".jpg",
        "image/webp" => ".webp",
        "image/gif" => ".gif",
        _ => ".png",
    };

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId}: refused {Function} ({Kind}): {Message}")]
    private static partial void LogRefused(ILogger logger, string runId, string function, ToolRefusalKind kind, string message);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Run {RunId} stopped: {Reason}")]
    private static partial void LogStopped(ILogger logger, string runId, string reason);
}
