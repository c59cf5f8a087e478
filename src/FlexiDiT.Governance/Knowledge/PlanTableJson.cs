using System.Text.Json;

namespace FlexiDiT.Governance.Knowledge;

// Wire shapes of the plan table. Every member is nullable so that a missing field is reported by name
// during validation instead of surfacing as a default value.
internal sealed class PlanTableJson
{
    public string? Model { get; set; }

    public List<PlanEntryJson?>? Plans { get; set; }
}

internal sealed class PlanEntryJson
{
    public string? Name { get; set; }

    public string? Description { get; set; }

    public JsonElement? Spec { get; set; }

    public int? Steps { get; set; }

    public int? WeakSteps { get; set; }

    public Dictionary<string, int>? Forwards { get; set; }

    public double? FlopsPerImage { get; set; }

    public double? FlopsFraction { get; set; }

    public double? FrechetDistance { get; set; }

    public double? ClassAccuracy { get; set; }

    public double? ColorAccuracy { get; set; }

    public double? MsPerImage { get; set; }
}
