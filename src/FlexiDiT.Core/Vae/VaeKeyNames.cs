namespace FlexiDiT.Vae;

/// <summary>
/// Translates the decoder's own (diffusers) state-dict keys into each file naming, and recognises which
/// naming (and which key prefix, e.g. <c>first_stage_model.</c>) a file uses.
/// </summary>
public static class VaeKeyNames
{
    /// <summary>The key a file in <paramref name="naming"/> uses for the module key <paramref name="key"/>.</summary>
    /// <param name="key">A key of <see cref="VaeDecoder"/>'s state dict.</param>
    /// <param name="naming">The file's naming.</param>
    /// <param name="levels">Resolution levels of the decoder (ldm numbers them the other way round).</param>
    public static string ToFileKey(string key, VaeKeyNaming naming, int levels)
    {
        if (naming == VaeKeyNaming.Diffusers) return key;
        string[] p = key.Split('.');
        if (naming == VaeKeyNaming.DiffusersLegacyAttention)
        {
            // decoder.mid_block.attentions.0.<to_q|to_k|to_v|to_out.0>.<param>
            if (p.Length >= 6 && p[1] == "mid_block" && p[2] == "attentions")
                return string.Join('.', p[..4]) + "." + LegacyAttention(p[4..^1]) + "." + p[^1];
            return key;
        }

        if (p[0] != "decoder") return key; // post_quant_conv.*
        switch (p[1])
        {
            case "conv_norm_out":
                return "decoder.norm_out." + p[^1];
            case "mid_block" when p[2] == "resnets":
                return $"decoder.mid.block_{int.Parse(p[3]) + 1}.{string.Join('.', p[4..])}";
            case "mid_block" when p[2] == "attentions":
                return $"decoder.mid.attn_{int.Parse(p[3]) + 1}.{LdmAttention(p[4..^1])}.{p[^1]}";
            case "up_blocks":
                {
                    int level = levels - 1 - int.Parse(p[2]);
                    if (p[3] == "resnets")
                        return $"decoder.up.{level}.block.{p[4]}.{(p[5] == "conv_shortcut" ? "nin_shortcut" : p[5])}.{string.Join('.', p[6..])}";
                    if (p[3] == "upsamplers")
                        return $"decoder.up.{level}.upsample.{string.Join('.', p[5..])}";
                    break;
                }
        }
        return key;
    }

    /// <summary>Whether <paramref name="key"/> is an attention projection that ldm stores as a 1×1 conv.</summary>
    public static bool IsAttentionProjection(string key) =>
        key.Contains(".attentions.", StringComparison.Ordinal) && key.EndsWith(".weight", StringComparison.Ordinal)
        && !key.Contains(".group_norm.", StringComparison.Ordinal);

    /// <summary>
    /// The prefix before <c>decoder.</c> in <paramref name="keys"/> (<c>""</c>, <c>first_stage_model.</c>, <c>vae.</c>, ...),
    /// or null when no key looks like a VAE decoder's.
    /// </summary>
    public static string? FindPrefix(IEnumerable<string> keys)
    {
        const string marker = "decoder.conv_in.weight";
        string? best = null;
        foreach (string k in keys)
        {
            if (!k.EndsWith(marker, StringComparison.Ordinal)) continue;
            string prefix = k[..^marker.Length];
            if (prefix.Length > 0 && prefix[^1] != '.') continue;
            if (best is null || prefix.Length < best.Length) best = prefix;
        }
        return best;
    }

    /// <summary>The naming of the keys under <paramref name="prefix"/>, or null when none is recognised.</summary>
    public static VaeKeyNaming? Detect(IEnumerable<string> keys, string prefix)
    {
        bool diffusers = false, ldm = false, legacy = false;
        foreach (string k in keys)
        {
            if (!k.StartsWith(prefix, StringComparison.Ordinal)) continue;
            var rest = k.AsSpan(prefix.Length);
            if (rest.StartsWith("decoder.up_blocks.") || rest.StartsWith("decoder.mid_block.")) diffusers = true;
            else if (rest.StartsWith("decoder.up.") || rest.StartsWith("decoder.mid.")) ldm = true;
            if (rest.StartsWith("decoder.mid_block.attentions.") && (rest.EndsWith(".query.weight") || rest.EndsWith(".proj_attn.weight"))) legacy = true;
        }
        if (diffusers && ldm) return null; // a mixture is no naming at all
        if (ldm) return VaeKeyNaming.Ldm;
        if (diffusers) return legacy ? VaeKeyNaming.DiffusersLegacyAttention : VaeKeyNaming.Diffusers;
        return null;
    }

    private static string LegacyAttention(string[] module) => string.Join('.', module) switch
    {
        "to_q" => "query",
        "to_k" => "key",
        "to_v" => "value",
        "to_out.0" => "proj_attn",
        var other => other,
    };

    private static string LdmAttention(string[] module) => string.Join('.', module) switch
    {
        "group_norm" => "norm",
        "to_q" => "q",
        "to_k" => "k",
        "to_v" => "v",
        "to_out.0" => "proj_out",
        var other => other,
    };
}
