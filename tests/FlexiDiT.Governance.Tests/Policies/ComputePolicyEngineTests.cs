using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Tests.Support;

namespace FlexiDiT.Governance.Tests.Policies;

public sealed class ComputePolicyEngineTests
{
    private readonly ComputePolicyEngine engine = TestKnowledge.Engine();

    // Expected: "plan-name" for an approval, "!Code" for a refusal. See TestKnowledge for the plans' numbers.
    public static TheoryData<string, string, int, int?, string?, double?, string, bool> Decisions => new()
    {
        // task, tenant, count, SLA override, explicit plan, remaining budget → expected, degraded
        { "draft", "acme", 1, null, null, 100, "fast-20", false },              // no floor: cheapest of all
        { "thumbnail", "acme", 1, null, null, 100, "weak-first-80", false },    // FD ≤ 1.25×: 1.2× is the cheapest that passes
        { "slide", "acme", 1, null, null, 100, "weak-first-60", false },        // FD ≤ 1.05×: exactly 1.05× passes
        { "slide", "acme", 4, null, null, 100, "weak-first-60", false },        // 4 images: ~1900 ms, still within 2000 ms
        { "slide", "acme", 1, 700, null, 100, "weak-first-60", false },         // 580 ms fits a tighter SLA
        { "slide", "acme", 1, 500, null, 100, "!SlaUnreachable", false },       // nothing at FD ≤ 1.05× runs in 500 ms
        { "slide", "acme", 5, null, null, 100, "!CountTooLarge", false },       // slide allows 4 per request
        { "slide", "acme", 1, null, null, 0.55, "weak-first-60", false },       // a budget of exactly the price pays
        { "slide", "acme", 1, null, null, 0.3, "fast-20", true },               // may degrade: cheapest the budget pays
        { "slide", "acme", 1, null, null, 0.01, "!BudgetExhausted", false },    // not even the cheapest plan is affordable
        { "ad-creative", "acme", 1, null, null, 100, "weak-first-40", false },  // FD ≤ 1.03× and accuracy ≥ 0.96
        { "ad-creative", "acme", 1, null, null, 0.5, "!BudgetExhausted", false }, // may not degrade
        { "batch-overnight", "acme", 1, null, null, 100, "!TaskNotAllowed", false },
        { "batch-overnight", "studio", 1000, null, null, 1000, "full", false }, // FD ≤ 1.0×: only full; ~800 s in an hour
        { "draft", "nobody", 1, null, null, 100, "!UnknownTenant", false },
        { "poster", "acme", 1, null, null, 100, "!UnknownTaskType", false },
        { "slide", "acme", 1, null, "full", 100, "full", false },               // explicit plan, affordable
        { "slide", "acme", 1, null, "weak-only", 100, "weak-only", false },     // explicit plan below the floor is still honoured
        { "slide", "acme", 1, null, "turbo", 100, "!UnknownPlan", false },
        { "slide", "acme", 1, null, "full", 0.5, "!BudgetExhausted", false },   // explicit plan, unaffordable
        { "draft", "acme", 1, null, null, null, "fast-20", false },             // no budget given: not checked
        { "thumbnail", "hobby", 2, null, null, 5, "weak-first-80", false },
    };

    [Theory]
    [MemberData(nameof(Decisions))]
    public void Decide_picks_the_cheapest_plan_meeting_floor_and_SLA(
        string task, string tenant, int count, int? slaMs, string? plan, double? budget, string expected, bool degraded)
    {
        var decision = engine.Decide(new PolicyRequest
        {
            TaskType = task,
            TenantId = tenant,
            Count = count,
            SlaMs = slaMs,
            PlanName = plan,
            RemainingBudget = budget is { } b ? (decimal)b : null,
        });

        if (expected.StartsWith('!'))
        {
            var refusal = Assert.IsType<PolicyRefusal>(decision);
            Assert.Equal(Enum.Parse<RefusalReason>(expected[1..]), refusal.Code);
            Assert.False(refusal.IsApproved);
            Assert.False(string.IsNullOrWhiteSpace(refusal.Reason));
        }
        else
        {
            var approval = Assert.IsType<PolicyApproval>(decision);
            Assert.Equal(expected, approval.PlanName);
            Assert.Equal(degraded, approval.Degraded);
            Assert.True(budget is null || approval.Cost <= (decimal)budget.Value, "an approval never costs more than the budget left");
        }
    }

    [Fact]
    public void Decide_explains_the_choice_with_flops_cost_and_latency()
    {
        var approval = Approve(new PolicyRequest { TaskType = "slide", TenantId = "acme", RemainingBudget = 100 });

        Assert.Equal("slide: cheapest plan meeting FD ≤ 1.05× full and SLA 2000 ms: weak-first-60 (55% FLOPs, 0.55 credits, ~580 ms)", approval.Reason);
        Assert.Equal(0.55m, approval.Cost);
        Assert.Equal(0.55e10, approval.PredictedFlops);
        Assert.Equal(580, approval.PredictedLatencyMs!.Value, precision: 6);
        Assert.Equal(2000, approval.SlaMs);
        Assert.True(approval.MayDegrade);
        Assert.Equal("acme", approval.TenantId);
    }

    [Fact]
    public void Decide_scales_cost_and_flops_with_count()
    {
        var approval = Approve(new PolicyRequest { TaskType = "slide", TenantId = "acme", Count = 4, RemainingBudget = 100 });

        Assert.Equal(2.2m, approval.Cost);
        Assert.Equal(2.2e10, approval.PredictedFlops, precision: 0);
        Assert.Equal(1900, approval.PredictedLatencyMs!.Value, precision: 6);
    }

    [Fact]
    public void Decide_says_when_it_degraded_and_that_the_floor_was_ignored()
    {
        var approval = Approve(new PolicyRequest { TaskType = "slide", TenantId = "acme", RemainingBudget = 0.3m });

        Assert.True(approval.Degraded);
        Assert.Equal(
            "slide: 0.3 credits left cannot pay weak-first-60 (0.55 credits), the cheapest plan meeting FD ≤ 1.05× full and SLA 2000 ms; " +
            "degraded to fast-20 (10% FLOPs, 0.1 credits, ~120 ms), quality floor ignored",
            approval.Reason);
    }

    [Fact]
    public void Decide_refuses_a_task_that_may_not_degrade_with_the_reason()
    {
        var refusal = Assert.IsType<PolicyRefusal>(engine.Decide(new PolicyRequest { TaskType = "ad-creative", TenantId = "acme", RemainingBudget = 0.5m }));

        Assert.Equal(RefusalReason.BudgetExhausted, refusal.Code);
        Assert.Contains("may not degrade", refusal.Reason);
        Assert.Contains("weak-first-40", refusal.Reason);
    }

    [Fact]
    public void Decide_honours_a_quality_floor_override()
    {
        var strict = Approve(new PolicyRequest { TaskType = "slide", TenantId = "acme", QualityFloor = new QualityFloor { MaxFrechetRatio = 1.0 }, RemainingBudget = 100 });
        var unreachable = engine.Decide(new PolicyRequest { TaskType = "slide", TenantId = "acme", QualityFloor = new QualityFloor { MinClassAccuracy = 0.99 }, RemainingBudget = 100 });

        Assert.Equal("full", strict.PlanName);
        Assert.Equal(RefusalReason.QualityUnreachable, Assert.IsType<PolicyRefusal>(unreachable).Code);
    }

    [Fact]
    public void Decide_notes_when_an_explicit_plan_misses_the_SLA_or_floor()
    {
        var approval = Approve(new PolicyRequest { TaskType = "draft", TenantId = "acme", PlanName = "full", RemainingBudget = 100 });

        Assert.False(approval.Degraded);
        Assert.Equal("draft: plan requested explicitly: full (100% FLOPs, 1 credits, ~1000 ms); note: predicted latency is over the 500 ms SLA", approval.Reason);
    }

    [Fact]
    public void Decide_uses_measured_ms_per_image_when_the_latency_model_lacks_a_patch_size()
    {
        var engine = new ComputePolicyEngine(TestKnowledge.Policies(), TestKnowledge.Plans(), new LatencyModel([new(2, 2, 20)]));

        var approval = Approve(engine, new PolicyRequest { TaskType = "draft", TenantId = "acme", PlanName = "weak-only", Count = 2 });

        Assert.Equal(620, approval.PredictedLatencyMs);
    }

    [Fact]
    public void Decide_rejects_malformed_requests()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Decide(new PolicyRequest { TaskType = "draft", TenantId = "acme", Count = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => engine.Decide(new PolicyRequest { TaskType = "draft", TenantId = "acme", SlaMs = 0 }));
        Assert.Throws<ArgumentException>(() => engine.Decide(new PolicyRequest { TaskType = " ", TenantId = "acme" }));
    }

    [Fact]
    public void Estimate_lists_every_plan_cheapest_first_with_cost_and_latency()
    {
        var table = engine.Estimate("slide", 1);

        Assert.Equal(["fast-20", "weak-only", "weak-first-80", "weak-first-60", "weak-first-40", "full"], table.Select(e => e.PlanName));
        var w60 = table.Single(e => e.PlanName == "weak-first-60");
        Assert.Equal(0.55m, w60.Cost);
        Assert.Equal(580, w60.PredictedLatencyMs!.Value, precision: 6);
        Assert.Equal(1.05, w60.FrechetRatio!.Value, precision: 9);
        Assert.True(w60.MeetsQualityFloor);
        Assert.True(w60.MeetsSla);
        Assert.Equal([false, false, false, true, true, true], table.Select(e => e.MeetsQualityFloor));
        Assert.Null(table[0].FrechetRatio);
    }

    [Fact]
    public void Estimate_splits_the_saving_into_FlexiDiT_s_at_the_same_steps_and_fewer_steps_that_multiply_to_the_total()
    {
        var table = engine.Estimate("draft", 1).ToDictionary(e => e.PlanName);

        // weak-first-60: 50 steps like full, so all of its 45 % is FlexiDiT's.
        Assert.Equal(0.45, table["weak-first-60"].FlexiDiTSavedFraction!.Value, precision: 9);
        Assert.Equal(0, table["weak-first-60"].FewerStepsSavedFraction!.Value, precision: 9);
        // fast-20: 40 forwards against full's 100 save 60 %; running them weak saves 75 % of what remains; 0.25 × 0.4 = 0.1.
        var fast = table["fast-20"];
        Assert.Equal(0.6, fast.FewerStepsSavedFraction!.Value, precision: 9);
        Assert.Equal(0.75, fast.FlexiDiTSavedFraction!.Value, precision: 9);
        Assert.Equal((75, 60, 90), (fast.FlexiDiTSavedPercent, fast.FewerStepsSavedPercent, fast.ComputeSavedPercent));
        Assert.Equal(1 - fast.FlopsFraction, 1 - ((1 - fast.FlexiDiTSavedFraction.Value) * (1 - fast.FewerStepsSavedFraction.Value)), precision: 9);
        Assert.Equal((0, 0), (table["full"].FlexiDiTSavedPercent, table["full"].FewerStepsSavedPercent));
    }

    [Fact]
    public void Estimate_rejects_an_unknown_task()
    {
        var ex = Assert.Throws<ArgumentException>(() => engine.Estimate("poster", 1));

        Assert.Contains("unknown task type 'poster'", ex.Message);
    }

    [Theory]
    [InlineData(100, null)]            // nothing cheaper runs in 100 ms
    [InlineData(150, "fast-20")]       // 120 ms fits
    [InlineData(350, "weak-only")]     // the best cheaper plan that fits, not the cheapest
    [InlineData(10_000, "weak-first-80")]
    public void SelectFallback_picks_the_best_cheaper_plan_that_fits_the_time_left(int timeLeftMs, string? expected)
    {
        var slide = Approve(new PolicyRequest { TaskType = "slide", TenantId = "acme", RemainingBudget = 100 });

        var fallback = engine.SelectFallback(slide, TimeSpan.FromMilliseconds(timeLeftMs));

        Assert.Equal(expected, fallback?.PlanName);
        if (fallback is not null)
        {
            Assert.True(fallback.Degraded);
            Assert.True(fallback.Cost < slide.Cost);
            Assert.Contains("did not finish in time", fallback.Reason);
        }
    }

    [Fact]
    public void FastestFallbackLatency_is_the_fastest_cheaper_plan()
    {
        var slide = Approve(new PolicyRequest { TaskType = "slide", TenantId = "acme", RemainingBudget = 100 });
        var cheapest = Approve(new PolicyRequest { TaskType = "draft", TenantId = "acme", RemainingBudget = 100 });

        Assert.Equal(TimeSpan.FromMilliseconds(120), engine.FastestFallbackLatency(slide));
        Assert.Null(engine.FastestFallbackLatency(cheapest));
    }

    private PolicyApproval Approve(PolicyRequest request) => Approve(engine, request);

    private static PolicyApproval Approve(ComputePolicyEngine engine, PolicyRequest request) =>
        Assert.IsType<PolicyApproval>(engine.Decide(request));
}
