using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Tests.Support;

namespace FlexiDiT.Governance.Tests.Policies;

public sealed class PolicySetLoadingTests
{
    [Fact]
    public void LoadDirectory_loads_the_shipped_defaults()
    {
        var policies = PolicySet.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "policies"));

        Assert.Equal(["ad-creative", "batch-overnight", "draft", "slide", "thumbnail"], policies.Tasks.Keys.Order());
        Assert.False(policies.FindTask("ad-creative")!.MayDegrade);
        Assert.True(policies.FindTask("draft")!.QualityFloor.IsNone);
        Assert.Equal(1.05, policies.FindTask("slide")!.QualityFloor.MaxFrechetRatio);
        Assert.True(policies.FindTenant("local")!.Allows("batch-overnight"));
        Assert.Equal(50m, policies.FindTenant("demo-team")!.BudgetFor("alice"));
        Assert.Equal(BudgetPeriod.Daily, policies.FindTenant("demo-team")!.Period);
        Assert.Equal(100m, policies.Pricing.CreditsPerTflop);
    }

    [Fact]
    public void LoadDirectory_reads_every_field()
    {
        using var dir = new TempDirectory();
        PolicyFiles.Write(dir);

        var policies = PolicySet.LoadDirectory(dir.Path);

        var slide = policies.FindTask("slide")!;
        Assert.Equal(2000, slide.DefaultSlaMs);
        Assert.True(slide.MayDegrade);
        Assert.Equal(4, slide.MaxCount);
        var acme = policies.FindTenant("acme")!;
        Assert.Equal(100m, acme.Budget);
        Assert.Equal(BudgetPeriod.Monthly, acme.Period);
        Assert.Equal([0.5, 0.8, 0.95], acme.AlertThresholds);
        Assert.True(acme.Allows("slide"));
        Assert.False(acme.Allows("thumbnail"));
        Assert.Equal(10m, acme.BudgetFor("alice"));
        Assert.Null(acme.BudgetFor("bob"));
        Assert.Equal(0.05m, policies.Pricing.MinimumChargePerImage);
    }

    public static TheoryData<string, string, string, int, string> BrokenLines => new()
    {
        { "tasks.yaml", "defaultSlaMs: 2000", "defaultSlaMs: -5", 10, "task 'slide': field 'defaultSlaMs' must be a positive integer (got -5)" },
        { "tasks.yaml", "defaultSlaMs: 2000", "defaultSlaMs: 2.5", 10, "task 'slide': field 'defaultSlaMs' must be a positive integer (got 2.5)" },
        { "tasks.yaml", "maxFrechetRatio: 1.05", "maxFrechetRatio: 0.95", 9, "task 'slide': qualityFloor: field 'maxFrechetRatio' must be a number of at least 1 (1 = as good as full compute) (got 0.95)" },
        { "tasks.yaml", "mayDegrade: true\n    maxCount: 8", "mayDegrade: yes\n    maxCount: 8", 5, "task 'draft': field 'mayDegrade' must be true or false (got yes)" },
        { "tasks.yaml", "maxCount: 8", "maxCount: \"8\"", 6, "task 'draft': field 'maxCount' must be a positive integer (got text \"8\")" },
        { "tasks.yaml", "qualityFloor: none", "qualityFloor: high", 3, "task 'draft': field 'qualityFloor' must be 'none' or a mapping with maxFrechetRatio and/or minClassAccuracy (got high)" },
        { "tasks.yaml", "  slide:", "  Slide:", 7, "task 'Slide': task type names must be lower-case letters, digits and hyphens" },
        { "tasks.yaml", "tasks:", "task:", 1, "policy file: unknown section 'task' (did you mean 'tasks'?)" },
        { "tenants.yaml", "period: monthly", "period: weekly", 4, "tenant 'acme': field 'period' must be daily or monthly (got weekly)" },
        { "tenants.yaml", "[0.5, 0.8, 0.95]", "[0.5, 0.95, 0.8]", 5, "tenant 'acme': field 'alertThresholds' must be in ascending order without repeats (got 0.8 after 0.95)" },
        { "tenants.yaml", "[0.5, 0.8, 0.95]", "[0.5, 1.5]", 5, "tenant 'acme': field 'alertThresholds' must list fractions of the budget in (0, 1] (got 1.5)" },
        { "tenants.yaml", "[draft, slide]", "[draft, slides]", 6, "tenant 'acme': field 'allowedTasks' names unknown task type 'slides' (did you mean 'slide'?)" },
        { "tenants.yaml", "        budget: 10", "        budget: 500", 9, "tenant 'acme': user 'alice': field 'budget' must not exceed the tenant's budget of 100 (got 500)" },
        { "tenants.yaml", "budget: 100", "budget: 1.0000001", 3, "tenant 'acme': field 'budget' must be a number of credits, at least 0, with at most 6 decimals (got 1.0000001)" },
        { "tenants.yaml", "    period: monthly\n", "", 2, "tenant 'acme': missing required field 'period'" },
        { "pricing.yaml", "creditsPerTflop: 100", "creditsPerTflop: -1", 2, "pricing: field 'creditsPerTflop' must be a number of credits, at least 0, with at most 6 decimals (got -1)" },
        { "pricing.yaml", "creditsPerTflop: 100", "creditPerTflop: 100", 2, "pricing: unknown field 'creditPerTflop' (did you mean 'creditsPerTflop'?)" },
    };

    [Theory]
    [MemberData(nameof(BrokenLines))]
    public void LoadDirectory_names_the_file_line_and_field(string file, string find, string replace, int line, string message)
    {
        using var dir = new TempDirectory();
        PolicyFiles.Write(dir);
        var original = File.ReadAllText(dir.File(file));
        Assert.Contains(find, original);
        dir.Write(file, original.Replace(find, replace, StringComparison.Ordinal));

        var ex = Assert.Throws<PolicyLoadException>(() => PolicySet.LoadDirectory(dir.Path));

        var error = new PolicyError(dir.File(file), line, message);
        Assert.Contains(error, ex.Errors);
        Assert.Contains($"{dir.File(file)}:{line}: {message}", ex.Message);
    }

    [Fact]
    public void LoadDirectory_reports_every_error_at_once()
    {
        using var dir = new TempDirectory();
        PolicyFiles.Write(dir, tasks: PolicyFiles.Tasks.Replace("maxCount: 4", "maxcount: 4").Replace("defaultSlaMs: 500", "defaultSlaMs: 0"));

        var ex = Assert.Throws<PolicyLoadException>(() => PolicySet.LoadDirectory(dir.Path));

        var file = dir.File("tasks.yaml");
        Assert.Equal(
            [
                new PolicyError(file, 4, "task 'draft': field 'defaultSlaMs' must be a positive integer (got 0)"),
                new PolicyError(file, 7, "task 'slide': missing required field 'maxCount'"),
                new PolicyError(file, 12, "task 'slide': unknown field 'maxcount' (did you mean 'maxCount'?)"),
            ],
            ex.Errors);
        Assert.StartsWith("3 errors in policy files:", ex.Message);
    }

    [Fact]
    public void LoadDirectory_reports_YAML_syntax_errors_with_their_line()
    {
        using var dir = new TempDirectory();
        PolicyFiles.Write(dir, tasks: PolicyFiles.Tasks.Replace("    maxCount: 8", "    maxCount: 8\n    maxCount: 9"));

        var error = Assert.Single(Assert.Throws<PolicyLoadException>(() => PolicySet.LoadDirectory(dir.Path)).Errors);

        Assert.Equal(dir.File("tasks.yaml"), error.File);
        Assert.Equal(7, error.Line);
        Assert.StartsWith("not valid YAML:", error.Message);
        Assert.Contains("Duplicate key", error.Message);
    }

    [Fact]
    public void LoadDirectory_requires_every_section()
    {
        using var dir = new TempDirectory();
        PolicyFiles.Write(dir, pricing: null);

        var error = Assert.Single(Assert.Throws<PolicyLoadException>(() => PolicySet.LoadDirectory(dir.Path)).Errors);

        Assert.Equal(new PolicyError(dir.Path, null, "no prices defined: a 'pricing' section is required"), error);
    }

    [Fact]
    public void LoadDirectory_rejects_an_entry_defined_in_two_files()
    {
        using var dir = new TempDirectory();
        PolicyFiles.Write(dir);
        dir.Write("more-tasks.yaml", "tasks:\n  draft:\n    qualityFloor: none\n    defaultSlaMs: 1\n    mayDegrade: true\n    maxCount: 1\n");

        var error = Assert.Single(Assert.Throws<PolicyLoadException>(() => PolicySet.LoadDirectory(dir.Path)).Errors);

        Assert.Equal(new PolicyError(dir.File("tasks.yaml"), 2, $"task 'draft' is already defined at {dir.File("more-tasks.yaml")}:2"), error);
    }

    [Fact]
    public void LoadDirectory_accepts_one_JSON_file_with_tabs()
    {
        using var dir = new TempDirectory();
        dir.Write("policies.json", """
            {
            	"tasks": { "draft": { "qualityFloor": "none", "defaultSlaMs": 500, "mayDegrade": true, "maxCount": 8 },
            	           "slide": { "qualityFloor": { "maxFrechetRatio": 1.05 }, "defaultSlaMs": 2000, "mayDegrade": false, "maxCount": 4 } },
            	"tenants": { "acme": { "budget": 100, "period": "daily", "allowedTasks": ["*"] } },
            	"pricing": { "creditsPerTflop": 0.5 }
            }
            """);

        var policies = PolicySet.LoadDirectory(dir.Path);

        Assert.False(policies.FindTask("slide")!.MayDegrade);
        Assert.True(policies.FindTenant("acme")!.Allows("slide"));
        Assert.Equal(0.5m, policies.Pricing.CreditsPerTflop);
        Assert.Equal(0m, policies.Pricing.MinimumChargePerImage);
    }

    [Fact]
    public void LoadDirectory_locates_errors_in_JSON_files()
    {
        using var dir = new TempDirectory();
        PolicyFiles.Write(dir, tasks: null);
        dir.Write("tasks.json", """
            {
              "tasks": {
                "draft": {
                  "qualityFloor": "none",
                  "defaultSlaMs": "500",
                  "mayDegrade": true,
                  "maxCount": 8
                },
                "slide": { "qualityFloor": "none", "defaultSlaMs": 1, "mayDegrade": true, "maxCount": 1 }
              }
            }
            """);

        var error = Assert.Single(Assert.Throws<PolicyLoadException>(() => PolicySet.LoadDirectory(dir.Path)).Errors);

        Assert.Equal(new PolicyError(dir.File("tasks.json"), 5, "task 'draft': field 'defaultSlaMs' must be a positive integer (got text \"500\")"), error);
    }

    [Fact]
    public void LoadDirectory_rejects_an_empty_file()
    {
        using var dir = new TempDirectory();
        PolicyFiles.Write(dir);
        dir.Write("empty.yaml", "# nothing yet\n");

        var error = Assert.Single(Assert.Throws<PolicyLoadException>(() => PolicySet.LoadDirectory(dir.Path)).Errors);

        Assert.Equal(dir.File("empty.yaml"), error.File);
        Assert.StartsWith("the file is empty", error.Message);
    }

    [Fact]
    public void LoadDirectory_reports_a_missing_directory()
    {
        var error = Assert.Single(Assert.Throws<PolicyLoadException>(() => PolicySet.LoadDirectory("/no/such/policies")).Errors);

        Assert.Equal(new PolicyError("/no/such/policies", null, "policy directory not found"), error);
    }

    [Fact]
    public void Parse_reads_documents_given_as_text()
    {
        var policies = PolicySet.Parse([("tasks.yaml", PolicyFiles.Tasks), ("tenants.yaml", PolicyFiles.Tenants), ("pricing.yaml", PolicyFiles.Pricing)]);

        Assert.Equal(2, policies.Tasks.Count);
    }

    [Fact]
    public void The_constructor_rejects_a_tenant_allowing_an_unknown_task()
    {
        var ex = Assert.Throws<ArgumentException>(() => new PolicySet(
            [new TaskPolicy { Name = "draft", DefaultSlaMs = 1, MayDegrade = true, MaxCount = 1 }],
            [new TenantPolicy { Id = "t", Budget = 1, Period = BudgetPeriod.Daily, AllowedTaskTypes = new HashSet<string> { "poster" } }],
            new PricingPolicy { CreditsPerTflop = 1 }));

        Assert.Contains("unknown task type 'poster'", ex.Message);
    }
}
