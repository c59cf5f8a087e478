using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.Governance.Tests.Support;

/// <summary>
/// A fixed plan table, latency model and policy set with round numbers, so expected plans, costs and latencies can
/// be worked out by hand in the tests.
/// </summary>
/// <remarks>
/// Latency for one image (batch 2 with guidance): a p=2 call takes 20 ms, a p=4 call 6 ms.
/// <code>
/// plan           FLOPs  cost  ms    FD ratio  class acc
/// full           1.00   1.00  1000  1.00      0.97
/// weak-first-40  0.70   0.70   720  1.03      0.96
/// weak-first-60  0.55   0.55   580  1.05      0.95
/// weak-first-80  0.40   0.40   440  1.20      0.90
/// weak-only      0.25   0.25   300  1.50      0.80
/// fast-20        0.10   0.10   120  unknown   unknown
/// </code>
/// </remarks>
internal static class TestKnowledge
{
    public const string PlanTableJson = """
        {
          "model": "shapes-flexidit",
          "plans": [
            { "name": "full", "description": "50 steps, all powerful", "steps": 50, "weakSteps": 0,
              "forwards": { "2": 100 }, "flopsPerImage": 1.0e10, "flopsFraction": 1.0,
              "frechetDistance": 3.0, "classAccuracy": 0.97, "colorAccuracy": 0.99, "msPerImage": 1010 },
            { "name": "weak-first-40", "steps": 50, "weakSteps": 20,
              "forwards": { "2": 60, "4": 40 }, "flopsPerImage": 0.7e10, "flopsFraction": 0.7,
              "frechetDistance": 3.09, "classAccuracy": 0.96, "colorAccuracy": 0.99, "msPerImage": 730 },
            { "name": "weak-first-60", "steps": 50, "weakSteps": 30,
              "forwards": { "2": 40, "4": 60 }, "flopsPerImage": 0.55e10, "flopsFraction": 0.55,
              "frechetDistance": 3.15, "classAccuracy": 0.95, "colorAccuracy": 0.98, "msPerImage": 590 },
            { "name": "weak-first-80", "steps": 50, "weakSteps": 40,
              "forwards": { "2": 20, "4": 80 }, "flopsPerImage": 0.4e10, "flopsFraction": 0.4,
              "frechetDistance": 3.6, "classAccuracy": 0.90, "colorAccuracy": 0.97, "msPerImage": 450 },
            { "name": "weak-only", "steps": 50, "weakSteps": 50,
              "forwards": { "4": 100 }, "flopsPerImage": 0.25e10, "flopsFraction": 0.25,
              "frechetDistance": 4.5, "classAccuracy": 0.80, "colorAccuracy": 0.95, "msPerImage": 310 },
            { "name": "fast-20", "description": "20 steps, all weak, not evaluated", "steps": 20, "weakSteps": 20,
              "forwards": { "4": 40 }, "flopsPerImage": 0.1e10, "flopsFraction": 0.1,
              "frechetDistance": null, "classAccuracy": null, "colorAccuracy": null, "msPerImage": null }
          ]
        }
        """;

    public const string LatencyJson = """
        {
          "device": "test rig",
          "measuredAt": "2025-01-01T00:00:00Z",
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

    public static PolicySet Policies(decimal acmeBudget = 100m, BudgetPeriod acmePeriod = BudgetPeriod.Monthly) => new(
        [
            new TaskPolicy { Name = "draft", QualityFloor = QualityFloor.None, DefaultSlaMs = 500, MayDegrade = true, MaxCount = 8 },
            new TaskPolicy { Name = "thumbnail", QualityFloor = new QualityFloor { MaxFrechetRatio = 1.25 }, DefaultSlaMs = 1000, MayDegrade = true, MaxCount = 16 },
            new TaskPolicy { Name = "slide", QualityFloor = new QualityFloor { MaxFrechetRatio = 1.05 }, DefaultSlaMs = 2000, MayDegrade = true, MaxCount = 4 },
            new TaskPolicy { Name = "ad-creative", QualityFloor = new QualityFloor { MaxFrechetRatio = 1.03, MinClassAccuracy = 0.96 }, DefaultSlaMs = 5000, MayDegrade = false, MaxCount = 4 },
            new TaskPolicy { Name = "batch-overnight", QualityFloor = new QualityFloor { MaxFrechetRatio = 1.0 }, DefaultSlaMs = 3_600_000, MayDegrade = false, MaxCount = 1000 },
        ],
        [
            new TenantPolicy
            {
                Id = "acme",
                Budget = acmeBudget,
                Period = acmePeriod,
                AlertThresholds = [0.5, 0.8, 0.95],
                AllowedTaskTypes = new HashSet<string> { "draft", "thumbnail", "slide", "ad-creative" },
                UserBudgets = new Dictionary<string, decimal> { ["alice"] = Math.Min(10m, acmeBudget) },
            },
            new TenantPolicy
            {
                Id = "hobby",
                Budget = 5m,
                Period = BudgetPeriod.Daily,
                AllowedTaskTypes = new HashSet<string> { "draft", "thumbnail" },
            },
            new TenantPolicy
            {
                Id = "studio",
                Budget = 1000m,
                Period = BudgetPeriod.Monthly,
                AllowedTaskTypes = new HashSet<string> { TenantPolicy.AnyTaskType },
            },
        ],
        new PricingPolicy { CreditsPerTflop = 100m, MinimumChargePerImage = 0.05m });

    public static ComputePolicyEngine Engine(PolicySet? policies = null) => new(policies ?? Policies(), Plans(), Latency());
}
