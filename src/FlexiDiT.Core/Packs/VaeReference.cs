using System.Text.Json.Serialization;

namespace FlexiDiT.Packs;

/// <summary>Where a pack's VAE decoder is and how latents are scaled.</summary>
public sealed record VaeReference
{
    /// <summary>VAE weights (.safetensors, .bin, .pt or .ckpt).</summary>
    [JsonPropertyName("weights")] public required string Weights { get; init; }
    /// <summary>VAE config (diffusers config.json or ldm ddconfig).</summary>
    [JsonPropertyName("config")] public required string Config { get; init; }
    /// <summary>Latent scale: images come from decoding latents / scale.</summary>
    [JsonPropertyName("scale")] public double Scale { get; init; } = 0.18215;
}
