using System.Text.Json;

namespace FlexiDiT.Vae;

/// <summary>
/// The shape of a Stable Diffusion (AutoencoderKL) VAE decoder, in diffusers' terms. Read from diffusers'
/// <c>config.json</c>, from the original ldm <c>ddconfig</c>, or from a file holding both
/// (<c>diffusers_config</c> / <c>ldm_ddconfig</c>, which must then agree).
/// </summary>
public sealed record VaeConfig
{
    /// <summary>The latent scale of sd-vae-ft-mse / -ema: images decode from <c>latents / 0.18215</c>.</summary>
    public const double StableDiffusionScalingFactor = 0.18215;

    /// <summary>Channels per resolution level, in diffusers' order: the full-resolution (narrowest in SD) level first.</summary>
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [128, 256, 512, 512];
    /// <summary>Resnets per level in the encoder; every decoder level has one more.</summary>
    public int LayersPerBlock { get; init; } = 2;
    /// <summary>Channels of the latents (4 for SD).</summary>
    public int LatentChannels { get; init; } = 4;
    /// <summary>Image channels (3).</summary>
    public int OutChannels { get; init; } = 3;
    /// <summary>GroupNorm groups of every normalisation.</summary>
    public int NormNumGroups { get; init; } = 32;
    /// <summary>Whether the mid block has its self-attention (diffusers' <c>mid_block_add_attention</c>; SD: true).</summary>
    public bool MidBlockAttention { get; init; } = true;
    /// <summary>Whether a 1×1 conv precedes the decoder (diffusers' <c>use_post_quant_conv</c>; SD: true).</summary>
    public bool UsePostQuantConv { get; init; } = true;
    /// <summary>Latent scale factor (diffusers' <c>scaling_factor</c>); decoding divides latents by it.</summary>
    public double ScalingFactor { get; init; } = StableDiffusionScalingFactor;

    /// <summary>Number of resolution levels.</summary>
    public int Levels => BlockOutChannels.Count;
    /// <summary>How much larger the image side is than the latent side (2^(levels-1), 8 for SD).</summary>
    public int UpscaleFactor => 1 << (Levels - 1);

    /// <summary>The VAE of Stable Diffusion 1.x (sd-vae-ft-mse / -ema).</summary>
    public static VaeConfig StableDiffusion { get; } = new();

    /// <summary>Compares field by field (the channel list by value, not by reference).</summary>
    public bool Equals(VaeConfig? other) =>
        other is not null && BlockOutChannels.SequenceEqual(other.BlockOutChannels) && LayersPerBlock == other.LayersPerBlock
        && LatentChannels == other.LatentChannels && OutChannels == other.OutChannels && NormNumGroups == other.NormNumGroups
        && MidBlockAttention == other.MidBlockAttention && UsePostQuantConv == other.UsePostQuantConv && ScalingFactor == other.ScalingFactor;

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(string.Join(",", BlockOutChannels), LayersPerBlock, LatentChannels, OutChannels, NormNumGroups, MidBlockAttention, UsePostQuantConv, ScalingFactor);

    /// <summary>One line for messages, in diffusers' names.</summary>
    public override string ToString() =>
        $"block_out_channels [{string.Join(", ", BlockOutChannels)}], layers_per_block {LayersPerBlock}, latent_channels {LatentChannels}, out_channels {OutChannels}, norm_num_groups {NormNumGroups}{(MidBlockAttention ? "" : ", no mid-block attention")}{(UsePostQuantConv ? "" : ", no post_quant_conv")}";

    /// <summary>Checks the numbers make a decoder that can exist and names the field that is wrong.</summary>
    public void Validate(string source = "VAE config")
    {
        void Require(bool ok, string message)
        {
            if (!ok) throw new InvalidDataException($"Invalid VAE config ({source}): {message}.");
        }
        Require(BlockOutChannels.Count > 0, "block_out_channels is empty");
        Require(NormNumGroups > 0, $"norm_num_groups must be positive (got {NormNumGroups})");
        foreach (int c in BlockOutChannels)
            Require(c > 0 && c % NormNumGroups == 0, $"every block_out_channels entry must be a positive multiple of norm_num_groups {NormNumGroups} (got {c})");
        Require(LayersPerBlock >= 0, $"layers_per_block must be non-negative (got {LayersPerBlock})");
        Require(LatentChannels > 0, $"latent_channels must be positive (got {LatentChannels})");
        Require(OutChannels > 0, $"out_channels must be positive (got {OutChannels})");
        Require(ScalingFactor > 0 && double.IsFinite(ScalingFactor), $"scaling_factor must be positive (got {ScalingFactor})");
    }

    /// <summary>Reads a diffusers <c>config.json</c>, an ldm <c>ddconfig</c>, or a file with both.</summary>
    public static VaeConfig Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"VAE config not found: {path}", path);
        return Parse(File.ReadAllText(path), path);
    }

    /// <summary>Parses <paramref name="json"/> as <see cref="Load"/> does; <paramref name="source"/> names it in errors.</summary>
    public static VaeConfig Parse(string json, string source = "VAE config")
    {
        JsonDocument doc;
        try
        {
            doc = JsonDocument.Parse(json, new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"VAE config {source} is not valid JSON: {e.Message}", e);
        }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"VAE config {source} is not a JSON object.");
            try
            {
                var diffusers = FindObject(root, "block_out_channels", "diffusers_config", "vae_config");
                var ldm = FindObject(root, "ch_mult", "ldm_ddconfig", "ddconfig", "params");
                int? embedDim = root.TryGetProperty("embed_dim", out var e) ? e.GetInt32() : null;
                VaeConfig config;
                if (diffusers is { } d && ldm is { } l)
                {
                    config = FromDiffusers(d);
                    var other = FromLdm(l, embedDim) with { ScalingFactor = config.ScalingFactor };
                    if (!config.Equals(other))
                        throw new InvalidDataException($"VAE config {source}: its diffusers config ({config}) and its ldm ddconfig ({other}) describe different decoders.");
                }
                else if (diffusers is { } d2)
                {
                    config = FromDiffusers(d2);
                }
                else if (ldm is { } l2)
                {
                    config = FromLdm(l2, embedDim);
                }
                else
                {
                    throw new InvalidDataException($"VAE config {source} is neither a diffusers AutoencoderKL config (block_out_channels, layers_per_block, ...) nor an ldm ddconfig (ch, ch_mult, num_res_blocks, ...); keys: {string.Join(", ", root.EnumerateObject().Select(p => p.Name).Take(12))}.");
                }

                config.Validate(source);
                return config;
            }
            catch (Exception ex) when (ex is InvalidOperationException or FormatException or KeyNotFoundException)
            {
                throw new InvalidDataException($"VAE config {source} has a field of the wrong type: {ex.Message}", ex);
            }
        }
    }

    /// <summary>The object that has <paramref name="marker"/>: the root itself or one of the named children (one level deep).</summary>
    private static JsonElement? FindObject(JsonElement root, string marker, params string[] children)
    {
        if (root.TryGetProperty(marker, out _)) return root;
        foreach (string child in children)
        {
            if (!root.TryGetProperty(child, out var inner) || inner.ValueKind != JsonValueKind.Object) continue;
            if (inner.TryGetProperty(marker, out _)) return inner;
            // ldm yaml-as-json nests it one more level: params.ddconfig.
            if (inner.TryGetProperty("ddconfig", out var dd) && dd.ValueKind == JsonValueKind.Object && dd.TryGetProperty(marker, out _)) return dd;
        }
        return null;
    }

    private static VaeConfig FromDiffusers(JsonElement d)
    {
        string Str(string name, string fallback) => d.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : fallback;
        string className = Str("_class_name", "AutoencoderKL");
        if (className != "AutoencoderKL")
            throw new InvalidDataException($"'_class_name' is '{className}'; only AutoencoderKL decoders are supported.");
        string act = Str("act_fn", "silu");
        if (act != "silu") throw new InvalidDataException($"act_fn '{act}' is not supported (SD VAEs use silu).");
        if (d.TryGetProperty("up_block_types", out var types))
        {
            foreach (var t in types.EnumerateArray())
            {
                if (t.GetString() != "UpDecoderBlock2D")
                    throw new InvalidDataException($"up_block_types has '{t.GetString()}'; only UpDecoderBlock2D is supported.");
            }
        }
        var defaults = new VaeConfig();
        return new VaeConfig
        {
            BlockOutChannels = Required(d, "block_out_channels").EnumerateArray().Select(v => v.GetInt32()).ToArray(),
            LayersPerBlock = d.TryGetProperty("layers_per_block", out var lpb) ? lpb.GetInt32() : defaults.LayersPerBlock,
            LatentChannels = d.TryGetProperty("latent_channels", out var lc) ? lc.GetInt32() : defaults.LatentChannels,
            OutChannels = d.TryGetProperty("out_channels", out var oc) ? oc.GetInt32() : defaults.OutChannels,
            NormNumGroups = d.TryGetProperty("norm_num_groups", out var g) ? g.GetInt32() : defaults.NormNumGroups,
            MidBlockAttention = !d.TryGetProperty("mid_block_add_attention", out var a) || a.GetBoolean(),
            UsePostQuantConv = !d.TryGetProperty("use_post_quant_conv", out var pq) || pq.GetBoolean(),
            ScalingFactor = d.TryGetProperty("scaling_factor", out var s) && s.ValueKind == JsonValueKind.Number ? s.GetDouble() : defaults.ScalingFactor,
        };
    }

    private static VaeConfig FromLdm(JsonElement l, int? embedDim)
    {
        int ch = Required(l, "ch").GetInt32();
        int z = Required(l, "z_channels").GetInt32();
        if (l.TryGetProperty("attn_resolutions", out var attn) && attn.GetArrayLength() > 0)
            throw new InvalidDataException($"attn_resolutions [{string.Join(", ", attn.EnumerateArray())}]: attention inside the up levels is not supported (SD VAEs have none).");
        foreach (string flag in new[] { "tanh_out", "give_pre_end" })
        {
            if (l.TryGetProperty(flag, out var f) && f.ValueKind == JsonValueKind.True)
                throw new InvalidDataException($"{flag}=true is not supported.");
        }
        // post_quant_conv maps embed_dim → z_channels; diffusers (and this decoder) have one latent width for both.
        if (embedDim is int e && e != z)
            throw new InvalidDataException($"embed_dim {e} differs from z_channels {z}; only equal latent widths are supported.");
        return new VaeConfig
        {
            BlockOutChannels = Required(l, "ch_mult").EnumerateArray().Select(m => ch * m.GetInt32()).ToArray(),
            LayersPerBlock = Required(l, "num_res_blocks").GetInt32(),
            LatentChannels = z,
            OutChannels = l.TryGetProperty("out_ch", out var o) ? o.GetInt32() : 3,
            NormNumGroups = 32, // ldm's Normalize() is GroupNorm(32, C, eps=1e-6), fixed.
        };
    }

    private static JsonElement Required(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) ? v : throw new InvalidDataException($"'{name}' is missing.");
}
