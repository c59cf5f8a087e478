using System.Text.Json;
using FlexiDiT.Diffusion;
using FlexiDiT.Evaluation;
using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Sampling;

namespace FlexiDiT.Tests.Evaluation;

/// <summary>
/// <c>plans.json</c> has one writer (<see cref="PlanEvaluation.Save"/>) and one reader (<see cref="PlanTable"/>): what
/// the writer records, the governance and the engine (each row's spec) read back unchanged.
/// </summary>
public sealed class PlanTableFileTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("flexidit-plans").FullName;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    [Fact]
    public void A_table_saved_by_eval_is_read_back_identically_by_the_governance_reader()
    {
        var full = new PlanSpec { Name = "full", Respacing = "40", GuidanceScale = 5, ClipDenoised = true };
        var cheap = new PlanSpec { Name = "weak-half", Respacing = "20", Solver = SolverKind.Ddim, PowerfulCondSteps = 10, PowerfulGuidanceSteps = 0, WeakGuidance = true, Variance = VarianceKind.FixedSmall };
        var written = new PlanEvaluation
        {
            Model = "round-trip",
            ImagesPerPlan = 8,
            Plans =
            [
                new PlanResult { Name = "full", Description = full.Describe(), Spec = full, Steps = 40, WeakSteps = 0, Forwards = new Dictionary<string, int> { ["2"] = 80 }, FlopsPerImage = 6.4e10, FlopsFraction = 1, FrechetDistance = 12.5, ClassAccuracy = 0.9, ColorAccuracy = 1, MsPerImage = 900 },
                new PlanResult { Name = "weak-half", Description = cheap.Describe(), Spec = cheap, Steps = 20, WeakSteps = 10, Forwards = new Dictionary<string, int> { ["2"] = 10, ["4"] = 30 }, FlopsPerImage = 1.1e10, FlopsFraction = 0.171875, FrechetDistance = null, ClassAccuracy = 0.75, ColorAccuracy = null, MsPerImage = 210.5 },
            ],
        };
        string path = Path.Combine(folder, "plans.json");

        written.Save(path);
        var read = PlanTable.Load(path);

        Assert.Equal("round-trip", read.Model);
        Assert.Equal(written.Plans.Count, read.Plans.Count);
        foreach (var (row, entry) in written.Plans.Zip(read.Plans))
        {
            Assert.Equal(row.Name, entry.Name);
            Assert.Equal(row.Description, entry.Description);
            Assert.Equal(row.Steps, entry.Steps);
            Assert.Equal(row.WeakSteps, entry.WeakSteps);
            Assert.Equal(row.Forwards.ToDictionary(f => int.Parse(f.Key, System.Globalization.CultureInfo.InvariantCulture), f => f.Value), entry.Forwards);
            Assert.Equal(row.FlopsPerImage, entry.FlopsPerImage);
            Assert.Equal(row.FlopsFraction, entry.FlopsFraction);
            Assert.Equal(row.FrechetDistance, entry.FrechetDistance);
            Assert.Equal(row.ClassAccuracy, entry.ClassAccuracy);
            Assert.Equal(row.ColorAccuracy, entry.ColorAccuracy);
            Assert.Equal(row.MsPerImage, entry.MsPerImage);
            Assert.Equal(row.Spec, entry.Spec!.Value.Deserialize<PlanSpec>());
        }
    }

    // The two row types stay separate (the governance cannot reference the engine's PlanSpec); a field the governance
    // starts reading must be one the writer writes, or every table 'flexidit eval' saves would lack it.
    [Fact]
    public void Every_field_the_governance_reads_is_one_the_eval_writer_writes()
    {
        var written = typeof(PlanResult).GetProperties()
            .Select(p => p.GetCustomAttributes(typeof(System.Text.Json.Serialization.JsonPropertyNameAttribute), false)
                .Cast<System.Text.Json.Serialization.JsonPropertyNameAttribute>().SingleOrDefault()?.Name)
            .OfType<string>()
            .ToHashSet(StringComparer.Ordinal);
        var read = typeof(PlanEntry).GetProperties().Where(p => p.CanWrite).Select(p => JsonNamingPolicy.CamelCase.ConvertName(p.Name)).ToHashSet(StringComparer.Ordinal);

        Assert.Contains("flopsPerImage", read);
        Assert.Subset(written, read);
    }

    [Fact]
    public void The_shipped_shapes_pack_table_gives_every_plan_its_own_spec()
    {
        var table = PlanTable.Load(Path.Combine(TestPaths.RepositoryRoot, "models", "shapes-flexidit", "plans.json"));

        Assert.Equal("shapes-flexidit", table.Model);
        Assert.NotEmpty(table.Plans);
        foreach (var plan in table.Plans)
        {
            var spec = plan.Spec!.Value.Deserialize<PlanSpec>()!;
            Assert.Equal(plan.Name, spec.Name);
            Assert.Equal(plan.Steps, spec.Steps);
        }
    }
}
