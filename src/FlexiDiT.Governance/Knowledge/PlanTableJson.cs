namespace FlexiDiT.Governance.Knowledge;

// Wire shapes of the plan table. Every member is nullable so that a missing field is reported by name
// during validation instead of surfacing as a default value.
internal sealed class PlanTableJson
{
    public string? Model { get; set; }

    public List<PlanEntryJson?>? Plans { get; set; }
}
