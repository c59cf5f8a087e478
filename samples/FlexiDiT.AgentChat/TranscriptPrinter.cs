using System.Text.Json;
using FlexiDiT.SemanticKernel;
using Microsoft.SemanticKernel;
using Microsoft.SemanticKernel.ChatCompletion;
using SkFunctionCall = Microsoft.SemanticKernel.FunctionCallContent;
using SkFunctionResult = Microsoft.SemanticKernel.FunctionResultContent;

namespace FlexiDiT.AgentChat;

/// <summary>Prints a run as a person wants to read it: tool calls, their results, the answer, the spend report.</summary>
public static class TranscriptPrinter
{
    private static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    /// <summary>Writes a run.</summary>
    /// <param name="result">The run.</param>
    /// <param name="output">Where to write.</param>
    public static void Write(AgentRunResult result, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(result);
        ArgumentNullException.ThrowIfNull(output);
        foreach (var message in result.Transcript.Where(m => m.Role != AuthorRole.User))
        {
            foreach (var item in message.Items)
            {
                switch (item)
                {
                    case SkFunctionCall call:
                        output.WriteLine($"  → {call.FunctionName}({string.Join(", ", (call.Arguments ?? []).Select(a => $"{a.Key}: {JsonSerializer.Serialize(a.Value, Compact)}"))})");
                        break;
                    case SkFunctionResult r:
                        output.WriteLine($"  ← {Shorten(r.Result is string s ? s : JsonSerializer.Serialize(r.Result, Compact))}");
                        break;
                    case TextContent { Text.Length: > 0 } text when message.Role == AuthorRole.Assistant:
                        output.WriteLine($"agent> {text.Text}");
                        break;
                }
            }
        }

        if (result.Answer is null)
        {
            output.WriteLine($"agent> (stopped by the budget filter: {result.Run.StopReason})");
        }

        output.WriteLine();
        output.WriteLine(result.Report.ToText());
        if (result.Images.Count > 0)
        {
            output.WriteLine("Images:");
            foreach (var image in result.Images)
            {
                output.WriteLine($"  {image.Path}");
            }
        }
    }

    private static string Shorten(string text) => text.Length <= 400 ? text : text[..400] + "…";
}
