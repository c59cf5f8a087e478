using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Governance.Tests.Support;

namespace FlexiDiT.Governance.Tests.Knowledge;

public sealed class PlanTableTests
{
    [Fact]
    public void Parse_reads_every_field_of_the_engine_format()
    {
        var table = TestKnowledge.Plans();

        Assert.Equal("shapes-flexidit", table.Model);
        Assert.Equal(6, table.Plans.Count);
        var plan = table.Find("weak-first-60")!;
        Assert.Equal(50, plan.Steps);
        Assert.Equal(30, plan.WeakSteps);
        Assert.Equal(new Dictionary<int, int> { [2] = 40, [4] = 60 }, plan.Forwards);
        Assert.Equal(100, plan.TotalForwards);
        Assert.Equal(0.55e10, plan.FlopsPerImage);
        Assert.Equal(0.55, plan.FlopsFraction);
        Assert.Equal(3.15, plan.FrechetDistance);
        Assert.Equal(0.95, plan.ClassAccuracy);
        Assert.Equal(0.98, plan.ColorAccuracy);
        Assert.Equal(590, plan.MsPerImage);
    }

    [Fact]
    public void Parse_keeps_unevaluated_quality_as_null()
    {
        var plan = TestKnowledge.Plans().Find("fast-20")!;

        Assert.Null(plan.FrechetDistance);
        Assert.Null(plan.ClassAccuracy);
        Assert.Null(plan.MsPerImage);
    }

    [Fact]
    public void FullCompute_is_the_plan_with_the_most_flops()
    {
        Assert.Equal("full", TestKnowledge.Plans().FullCompute.Name);
    }

    [Fact]
    public void Parse_keeps_each_plans_spec_for_the_engine()
    {
        var json = """
            { "plans": [
              { "name": "a", "spec": { "name": "a", "respacing": "20" }, "steps": 20, "forwards": { "2": 40 }, "flopsPerImage": 1, "flopsFraction": 1 },
              { "name": "b", "spec": null, "steps": 10, "forwards": { "2": 20 }, "flopsPerImage": 0.5, "flopsFraction": 0.5 } ] }
            """;

        var table = PlanTable.Parse(json, "plans.json");

        Assert.Equal("20", table.Find("a")!.Spec!.Value.GetProperty("respacing").GetString());
        Assert.Null(table.Find("b")!.Spec);
        Assert.Null(TestKnowledge.Plans().Find("full")!.Spec);
    }

    [Fact]
    public void Load_reads_a_file()
    {
        using var dir = new TempDirectory();
        var path = dir.Write("plans.json", TestKnowledge.PlanTableJson);

        Assert.Equal(6, PlanTable.Load(path).Plans.Count);
    }

    [Fact]
    public void Load_of_a_missing_file_names_it()
    {
        using var dir = new TempDirectory();
        var path = dir.File("absent.json");

        var ex = Assert.Throws<KnowledgeFileException>(() => PlanTable.Load(path));
        Assert.StartsWith($"{path}: cannot read the file", ex.Message);
    }

    public static TheoryData<string, string> InvalidTables => new()
    {
        { """{ "plans": [] }""", "plans.json: field 'plans' is missing or empty" },
        { """{ "plans": [ { "steps": 5, "forwards": { "2": 10 }, "flopsPerImage": 1, "flopsFraction": 1 } ] }""", "plans.json: plans[0]: field 'name' is missing or empty" },
        { Plan("\"flopsPerImage\": 0"), "plans.json: plans[0] ('p'): field 'flopsPerImage' must be a positive number (got 0)" },
        { Plan("\"flopsPerImage\": 1", "\"forwards\": { \"two\": 10 }"), "plans.json: plans[0] ('p'): field 'forwards' keys must be positive integer patch sizes (got \"two\")" },
        { Plan("\"flopsPerImage\": 1", "\"forwards\": { \"2\": 0 }"), "plans.json: plans[0] ('p'): field 'forwards' must count at least one forward pass (got all zero)" },
        { Plan("\"flopsPerImage\": 1", weakSteps: 9), "plans.json: plans[0] ('p'): field 'weakSteps' must be between 0 and steps (5) (got 9)" },
        { Plan("\"flopsPerImage\": 1", "\"forwards\": { \"2\": 10 }, \"classAccuracy\": 1.5"), "plans.json: plans[0] ('p'): field 'classAccuracy' must be null or a number between 0 and 1 (got 1.5)" },
        { Plan("\"flopsPerImage\": 1, \"spec\": \"full\""), "plans.json: plans[0] ('p'): field 'spec' must be null or an object (the plan spec 'flexidit eval' writes) (got String)" },
        { "{ \"plans\": [\n  { \"name\": \"p\",\n    \"steps\": \"five\" } ] }", "plans.json:3: invalid JSON at $.plans[0].steps:" },
    };

    [Theory]
    [MemberData(nameof(InvalidTables))]
    public void Parse_rejects_invalid_tables_with_the_file_and_field(string json, string expectedStart)
    {
        var ex = Assert.Throws<KnowledgeFileException>(() => PlanTable.Parse(json, "plans.json"));

        Assert.StartsWith(expectedStart, ex.Message);
    }

    [Fact]
    public void Parse_rejects_duplicate_names()
    {
        var json = """
            { "plans": [
              { "name": "a", "steps": 1, "forwards": { "2": 1 }, "flopsPerImage": 1, "flopsFraction": 1 },
              { "name": "a", "steps": 1, "forwards": { "2": 1 }, "flopsPerImage": 1, "flopsFraction": 1 } ] }
            """;

        var ex = Assert.Throws<KnowledgeFileException>(() => PlanTable.Parse(json, "plans.json"));
        Assert.Equal("plans.json: plans[1]: plan name 'a' appears more than once", ex.Message);
    }

    private static string Plan(string flops, string forwards = "\"forwards\": { \"2\": 10 }", int weakSteps = 0) =>
        $$"""{ "plans": [ { "name": "p", "steps": 5, "weakSteps": {{weakSteps}}, {{forwards}}, {{flops}}, "flopsFraction": 1 } ] }""";
}
