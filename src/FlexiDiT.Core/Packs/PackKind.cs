using System.Text.Json.Serialization;

namespace FlexiDiT.Packs;

/// <summary>What a pack's model is conditioned on.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<PackKind>))]
public enum PackKind
{
    /// <summary>Class labels (DiT): prompts are matched to the pack's classes.</summary>
    [JsonStringEnumMemberName("class")] Class,
    /// <summary>Captions (PixArt-α): prompts go through the pack's text encoder.</summary>
    [JsonStringEnumMemberName("text-to-image")] TextToImage,
}
