namespace FlexiDiT.Governance.Knowledge;

// Wire shape of the latency model written by `flexidit calibrate` and by LatencyModel.Save.
internal sealed class LatencyModelJson
{
    public string? Device { get; set; }

    public DateTimeOffset? MeasuredAt { get; set; }

    public List<LatencyEntryJson?>? Entries { get; set; }
}

internal sealed class LatencyEntryJson
{
    public int? PatchSize { get; set; }

    public int? Batch { get; set; }

    public double? Ms { get; set; }
}
