namespace FlexiDiT.Governance.Knowledge;

// One measured point of LatencyModelJson.
internal sealed class LatencyEntryJson
{
    public int? PatchSize { get; set; }

    public int? Batch { get; set; }

    public double? Ms { get; set; }
}
