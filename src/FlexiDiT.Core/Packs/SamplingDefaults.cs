using System.Text.Json.Serialization;

namespace FlexiDiT.Packs;

/// <summary>How a pack samples unless told otherwise.</summary>
public sealed record SamplingDefaults
{
    /// <summary>The plan used when none is asked for.</summary>
    [JsonPropertyName("plan")] public string Plan { get; init; } = "full";
    /// <summary>Default seed base.</summary>
    [JsonPropertyName("seed")] public long Seed { get; init; }
    /// <summary>Size images are shown at (an integer multiple of the native size).</summary>
    [JsonPropertyName("displaySize")] public int? DisplaySize { get; init; }
}
