using System.Text;

namespace FlexiDiT.Cli.Reporting;

/// <summary>The sections every pack's card (class or scenes) writes the same way.</summary>
internal static class ModelCardSections
{
    /// <summary>"How it was made": the training and conversion summaries and the commands that rebuild the pack.</summary>
    public static void HowItWasMade(StringBuilder s, string training, string conversion, IEnumerable<string> rebuildCommands)
    {
        s.AppendLine("## How it was made");
        s.AppendLine($"- Training: {training}");
        s.AppendLine($"- Conversion: {conversion}");
        s.AppendLine("- Rebuild from nothing:");
        s.AppendLine("```bash");
        foreach (string c in rebuildCommands) s.AppendLine(c);
        s.AppendLine("```");
        s.AppendLine();
    }

    /// <summary>"Figures": each figure file as an image with <paramref name="introduction"/> first; nothing when there are none.</summary>
    public static void Figures(StringBuilder s, string introduction, IReadOnlyList<string> figures)
    {
        if (figures.Count == 0) return;
        s.AppendLine("## Figures");
        s.AppendLine(introduction);
        s.AppendLine();
        foreach (string figure in figures)
            s.AppendLine($"![{Path.GetFileNameWithoutExtension(figure)}]({figure})");
        s.AppendLine();
    }
}
