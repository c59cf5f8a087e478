using FlexiDiT.Governance.Tests.Support;

namespace FlexiDiT.Governance.Tests.Policies;

/// <summary>A valid set of policy files with known line numbers, which tests break one line at a time.</summary>
internal static class PolicyFiles
{
    public const string Tasks = """
        tasks:
          draft:
            qualityFloor: none
            defaultSlaMs: 500
            mayDegrade: true
            maxCount: 8
          slide:
            qualityFloor:
              maxFrechetRatio: 1.05
            defaultSlaMs: 2000
            mayDegrade: true
            maxCount: 4
        """;

    public const string Tenants = """
        tenants:
          acme:
            budget: 100
            period: monthly
            alertThresholds: [0.5, 0.8, 0.95]
            allowedTasks: [draft, slide]
            users:
              alice:
                budget: 10
        """;

    public const string Pricing = """
        pricing:
          creditsPerTflop: 100
          minimumChargePerImage: 0.05
        """;

    public static void Write(TempDirectory dir, string? tasks = Tasks, string? tenants = Tenants, string? pricing = Pricing)
    {
        if (tasks is not null)
        {
            dir.Write("tasks.yaml", tasks);
        }

        if (tenants is not null)
        {
            dir.Write("tenants.yaml", tenants);
        }

        if (pricing is not null)
        {
            dir.Write("pricing.yaml", pricing);
        }
    }
}
