using System.Text.Json;

namespace FlexiDiT.Governance.Knowledge;

/// <summary>Shared JSON plumbing for the engine-written knowledge files.</summary>
internal static class KnowledgeJson
{
    // Engine files are camelCase. Unknown fields are tolerated here (unlike policy files) because the engine
    // may add measurements before this layer learns to use them; a person does not type these files.
    public static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web)
    {
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.Strict,
        WriteIndented = true,
    };

    public static T Deserialize<T>(string json, string source)
        where T : class
    {
        try
        {
            return JsonSerializer.Deserialize<T>(json, Options)
                ?? throw new KnowledgeFileException(source, "the file is empty or 'null'");
        }
        catch (JsonException ex)
        {
            int? line = ex.LineNumber is { } l ? (int)l + 1 : null;
            var where = string.IsNullOrEmpty(ex.Path) ? string.Empty : $" at {ex.Path}";
            throw new KnowledgeFileException(source, $"invalid JSON{where}: {FirstSentence(ex.Message)}", line, ex);
        }
    }

    public static string ReadFile(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new KnowledgeFileException(path, $"cannot read the file: {ex.Message}", innerException: ex);
        }
    }

    public static bool IsPositiveFinite(double value) => double.IsFinite(value) && value > 0;

    // System.Text.Json appends "Path: ... | LineNumber: ..." to its messages; the location is reported separately.
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        return cut > 0 ? message[..cut] : message;
    }
}
