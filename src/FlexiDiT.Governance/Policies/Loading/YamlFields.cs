using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace FlexiDiT.Governance.Policies.Loading;

/// <summary>
/// Reads the fields of one YAML mapping with a fixed set of allowed names, reporting every problem with its
/// file, line and field. Unknown fields are errors: a typo must never be silently ignored.
/// </summary>
internal sealed class YamlFields
{
    private readonly PolicyDiagnostics diagnostics;
    private readonly string file;
    private readonly Dictionary<string, YamlNode> values = new(StringComparer.Ordinal);
    private readonly Dictionary<string, YamlNode> keys = new(StringComparer.Ordinal);

    private YamlFields(PolicyDiagnostics diagnostics, string file, YamlMappingNode node, string context, YamlNode? owner)
    {
        this.diagnostics = diagnostics;
        this.file = file;
        Node = node;
        Context = context;
        Owner = owner ?? node;
    }

    public YamlMappingNode Node { get; }

    /// <summary>Gets the node a missing field is reported at: the entry's name where there is one, else the mapping.</summary>
    public YamlNode Owner { get; }

    public string Context { get; }

    public static YamlFields? Open(
        PolicyDiagnostics diagnostics,
        string file,
        YamlNode node,
        string context,
        IReadOnlyList<string> allowed,
        YamlNode? owner = null,
        string noun = "field")
    {
        if (node is not YamlMappingNode mapping)
        {
            diagnostics.Error(file, node, $"{context}: expected a mapping of fields (got {Describe(node)})");
            return null;
        }

        var fields = new YamlFields(diagnostics, file, mapping, context, owner);
        foreach (var (keyNode, value) in mapping.Children)
        {
            if (keyNode is not YamlScalarNode { Value: { Length: > 0 } key })
            {
                fields.Error(keyNode, $"{noun} names must be plain text");
                continue;
            }

            if (!allowed.Contains(key, StringComparer.Ordinal))
            {
                fields.Error(keyNode, $"unknown {noun} '{key}'{FieldSuggestions.Hint(key, allowed)}");
                continue;
            }

            fields.values[key] = value;
            fields.keys[key] = keyNode;
        }

        return fields;
    }

    public void Error(YamlNode at, string message) => diagnostics.Error(file, at, $"{Context}: {message}");

    public YamlNode? KeyOf(string name) => keys.GetValueOrDefault(name);

    public YamlNode? Get(string name, bool required)
    {
        if (values.TryGetValue(name, out var node))
        {
            return node;
        }

        if (required)
        {
            Error(Owner, $"missing required field '{name}'");
        }

        return null;
    }

    public string? Text(string name, bool required)
    {
        var node = Get(name, required);
        if (node is null)
        {
            return null;
        }

        if (node is YamlScalarNode scalar && !IsNull(scalar) && !string.IsNullOrWhiteSpace(scalar.Value))
        {
            return scalar.Value;
        }

        Error(node, $"field '{name}' must be non-empty text (got {Describe(node)})");
        return null;
    }

    public bool? Boolean(string name, bool required)
    {
        var node = Get(name, required);
        if (node is null)
        {
            return null;
        }

        // YAML 1.1's yes/no/on/off are refused: their meaning differs between parsers.
        if (node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: { } text })
        {
            if (text is "true" or "True" or "TRUE")
            {
                return true;
            }

            if (text is "false" or "False" or "FALSE")
            {
                return false;
            }
        }

        Error(node, $"field '{name}' must be true or false (got {Describe(node)})");
        return null;
    }

    public int? Integer(string name, bool required, int min, string rule)
    {
        var node = Get(name, required);
        if (node is null)
        {
            return null;
        }

        if (PlainText(node) is { } text
            && int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            && value >= min)
        {
            return value;
        }

        Error(node, $"field '{name}' {rule} (got {Describe(node)})");
        return null;
    }

    public double? Number(string name, bool required, Func<double, bool> isValid, string rule)
    {
        var node = Get(name, required);
        return node is null ? null : Number(node, $"field '{name}'", isValid, rule);
    }

    public double? Number(YamlNode node, string what, Func<double, bool> isValid, string rule)
    {
        if (PlainText(node) is { } text
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && double.IsFinite(value)
            && isValid(value))
        {
            return value;
        }

        Error(node, $"{what} {rule} (got {Describe(node)})");
        return null;
    }

    public decimal? Credits(string name, bool required)
    {
        var node = Get(name, required);
        if (node is null)
        {
            return null;
        }

        if (PlainText(node) is { } text
            && decimal.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
            && value >= 0
            && decimal.Round(value, PricingPolicy.CreditDecimals) == value)
        {
            return value;
        }

        Error(node, $"field '{name}' must be a number of credits, at least 0, with at most {PricingPolicy.CreditDecimals} decimals (got {Describe(node)})");
        return null;
    }

    public YamlSequenceNode? Sequence(string name, bool required)
    {
        var node = Get(name, required);
        if (node is null)
        {
            return null;
        }

        if (node is YamlSequenceNode sequence)
        {
            return sequence;
        }

        Error(node, $"field '{name}' must be a list (got {Describe(node)})");
        return null;
    }

    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    public static string Describe(YamlNode node) => node switch
    {
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        YamlScalarNode s when IsNull(s) => "nothing",
        YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } s => s.Value!,
        YamlScalarNode s => $"text \"{s.Value}\"",
        _ => "an alias",
    };

    // Numbers and booleans must be written bare: "5" in quotes is text, and JSON files say so with their quotes.
    private static string? PlainText(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } scalar && !IsNull(scalar) ? scalar.Value : null;
}
