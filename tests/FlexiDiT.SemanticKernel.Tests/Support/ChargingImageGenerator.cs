using System.Collections.Concurrent;
using FlexiDiT.Extensions.AI;
using FlexiDiT.Governance;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Resilience;
using Microsoft.Extensions.AI;

namespace FlexiDiT.SemanticKernel.Tests.Support;

/// <summary>
/// Stands in for FlexiDiT's generator where the model is not the point: the same governance path (policy decision,
/// ledger reservation and commit through <see cref="ComputeGovernor{TResult}"/>), the same options and response shape,
/// but a fixed PNG instead of a diffusion model.
/// </summary>
internal sealed class ChargingImageGenerator : IImageGenerator
{
    private readonly ComputePolicyEngine policy;
    private readonly ComputeGovernor<int> governor;

    public ChargingImageGenerator(ComputePolicyEngine policy, BudgetLedger ledger)
    {
        this.policy = policy;
        governor = new ComputeGovernor<int>(policy, ledger, new GenerationResiliencePipeline<int>(new GenerationResilienceOptions(), policy));
    }

    /// <summary>Gets every options object the generator was called with.</summary>
    public ConcurrentQueue<ImageGenerationOptions> Calls { get; } = new();

    public async Task<ImageGenerationResponse> GenerateAsync(ImageGenerationRequest request, ImageGenerationOptions? options = null, CancellationToken cancellationToken = default)
    {
        options ??= new ImageGenerationOptions();
        Calls.Enqueue(options);
        var count = options.Count ?? 1;
        var result = await governor.RunAsync(
            new PolicyRequest
            {
                TaskType = options.GetTaskType() ?? "draft",
                TenantId = options.GetTenant() ?? "local",
                UserId = options.GetUser(),
                Count = count,
                PlanName = options.GetMode(),
                SlaMs = options.GetDeadline() is { } d ? (int)d.TotalMilliseconds : null,
            },
            (_, _) => ValueTask.FromResult(count),
            cancellationToken);
        if (!result.Completed)
        {
            throw new ImageGenerationRefusedException(result.Refusal);
        }

        var approval = result.Outcome.Approval;
        var flops = (long)approval.PredictedFlops;
        var saved = (long)(policy.Plans.FullCompute.FlopsPerImage * count) - flops;
        var contents = Enumerable.Range(0, count)
            .Select(i => (AIContent)new DataContent(TinyPng.Bytes, "image/png")
            {
                AdditionalProperties = new() { [FlexiDiTContentKeys.Mode] = approval.PlanName, [FlexiDiTContentKeys.Index] = i },
            })
            .ToList();
        return new ImageGenerationResponse(contents)
        {
            RawRepresentation = new FlexiDiTGenerationReport
            {
                Model = "shapes-flexidit",
                ClassName = "red circle",
                ClassIndex = 0,
                Count = count,
                Seed = 0,
                TaskType = approval.TaskType,
                TenantId = approval.TenantId,
                UserId = approval.UserId,
                Mode = approval.PlanName,
                DecidedMode = approval.PlanName,
                FellBack = false,
                Degraded = approval.Degraded,
                Reason = approval.Reason,
                ReservedCost = approval.Cost,
                Cost = result.Receipt.Charged,
                ActualLatencyMs = 1,
                SlaMs = approval.SlaMs,
                Steps = approval.Plan.Steps,
                WeakSteps = approval.Plan.WeakSteps,
                FlopsSpent = flops,
                FlopsSaved = saved,
                Approval = approval,
            },
            Usage = new UsageDetails
            {
                AdditionalCounts = new()
                {
                    [FlexiDiTUsageKeys.FlopsSpent] = flops,
                    [FlexiDiTUsageKeys.FlopsSaved] = saved,
                    [FlexiDiTUsageKeys.CostMillicredits] = (long)Math.Round(result.Receipt.Charged * 1000),
                },
            },
        };
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
