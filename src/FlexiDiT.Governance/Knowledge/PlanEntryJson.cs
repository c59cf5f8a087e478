using System.Text.Json;

namespace FlexiDiT.Governance.Knowledge;

// One plan of PlanTableJson; nullable members for the same reason as there.
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
