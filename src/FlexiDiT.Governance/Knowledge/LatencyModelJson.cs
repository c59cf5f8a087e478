namespace FlexiDiT.Governance.Knowledge;

// Wire shape of the latency model written by `flexidit calibrate` and by LatencyModel.Save.
internal sealed class LatencyModelJson
{
    public string? Device { get; set; }

    public DateTimeOffset? MeasuredAt { get; set; }

    public List<LatencyEntryJson?>? Entries { get; set; }
}
