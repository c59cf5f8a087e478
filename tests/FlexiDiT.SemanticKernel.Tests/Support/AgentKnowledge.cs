using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.SemanticKernel.Tests.Support;

/// <summary>
/// Plans, latencies and policies with round numbers, so the deck scenario's costs can be worked out by hand.
/// </summary>
/// <remarks>
/// At 1000 credits per TFLOP (tasks as shipped in policies/tasks.yaml):
/// <code>
/// mode               credits/image  FD ratio  class acc  chosen for
/// full               12             1.00      0.97
/// weak30              9             1.01      0.97       ad-creative (FD ≤ 1.02, acc ≥ 0.95)
/// weak50              7.2           1.04      0.95       slide (FD ≤ 1.05)
/// weak70              5.4           1.15      0.92       thumbnail (FD ≤ 1.25)
/// steps-half-weak50   3.6           1.40      0.85       draft (no floor)
/// </code>
/// A 6-slide deck with two ad-quality images costs 2 × 9 + 4 × 7.2 = 46.8 credits at the floors.
/// </remarks>
internal static class AgentKnowledge
{
    public const string PlanTableJson = """
        {
          "model": "shapes-flexidit",
          "plans": [
            { "name": "full", "steps": 50, "forwards": { "2": 100 }, "flopsPerImage": 1.2e10, "flopsFraction": 1.0,
              "frechetDistance": 3.0, "classAccuracy": 0.97, "msPerImage": 1000 },
            { "name": "weak30", "steps": 50, "weakSteps": 15, "forwards": { "2": 70, "4": 30 }, "flopsPerImage": 0.9e10, "flopsFraction": 0.75,
              "frechetDistance": 3.03, "classAccuracy": 0.97, "msPerImage": 800 },
            { "name": "weak50", "steps": 50, "weakSteps": 25, "forwards": { "2": 50, "4": 50 }, "flopsPerImage": 0.72e10, "flopsFraction": 0.6,
              "frechetDistance": 3.12, "classAccuracy": 0.95, "msPerImage": 650 },
            { "name": "weak70", "steps": 50, "weakSteps": 35, "forwards": { "2": 30, "4": 70 }, "flopsPerImage": 0.54e10, "flopsFraction": 0.45,
              "frechetDistance": 3.45, "classAccuracy": 0.92, "msPerImage": 500 },
            { "name": "steps-half-weak50", "steps": 25, "weakSteps": 13, "forwards": { "2": 25, "4": 25 }, "flopsPerImage": 0.36e10, "flopsFraction": 0.3,
              "frechetDistance": 4.2, "classAccuracy": 0.85, "msPerImage": 330 }
          ]
        }
        """;

    public const string LatencyJson = """
        {
          "device": "test rig",
          "entries": [
            { "patchSize": 2, "batch": 2, "ms": 20 },
            { "patchSize": 2, "batch": 4, "ms": 36 },
            { "patchSize": 4, "batch": 2, "ms": 6 },
            { "patchSize": 4, "batch": 4, "ms": 10 }
          ]
        }
        """;

    public static PlanTable Plans() => PlanTable.Parse(PlanTableJson, "plans.json");

    public static LatencyModel Latency() => LatencyModel.Parse(LatencyJson, "latency.json");

    public static PolicySet Policies() => new(
        [
            new TaskPolicy { Name = "draft", QualityFloor = QualityFloor.None, DefaultSlaMs = 20_000, MayDegrade = true, MaxCount = 8 },
            new TaskPolicy { Name = "thumbnail", QualityFloor = new QualityFloor { MaxFrechetRatio = 1.25 }, DefaultSlaMs = 30_000, MayDegrade = true, MaxCount = 16 },
            new TaskPolicy { Name = "slide", QualityFloor = new QualityFloor { MaxFrechetRatio = 1.05 }, DefaultSlaMs = 60_000, MayDegrade = true, MaxCount = 4 },
            new TaskPolicy { Name = "ad-creative", QualityFloor = new QualityFloor { MaxFrechetRatio = 1.02, MinClassAccuracy = 0.95 }, DefaultSlaMs = 60_000, MayDegrade = false, MaxCount = 4 },
        ],
        [
            new TenantPolicy
            {
                Id = "agency",
                Budget = 1000m,
                Period = BudgetPeriod.Monthly,
                AllowedTaskTypes = new HashSet<string> { TenantPolicy.AnyTaskType },
                UserBudgets = new Dictionary<string, decimal> { ["intern"] = 20m },
            },
            new TenantPolicy
            {
                Id = "sandbox",
                Budget = 15m,
                Period = BudgetPeriod.Daily,
                AllowedTaskTypes = new HashSet<string> { "draft", "thumbnail" },
            },
        ],
        new PricingPolicy { CreditsPerTflop = 1000m, MinimumChargePerImage = 0.01m });

    public static ComputePolicyEngine Engine() => new(Policies(), Plans(), Latency());
}
