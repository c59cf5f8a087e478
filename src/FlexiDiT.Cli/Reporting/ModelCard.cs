using System.Text;
using System.Text.Json;
using FlexiDiT.Data;
using FlexiDiT.Evaluation;
using FlexiDiT.Flops;
using FlexiDiT.Models;

namespace FlexiDiT.Cli.Reporting;

/// <summary>The model card of a Shapes pack: data recipe, architecture, how it was made, and what it measures.</summary>
internal sealed record ModelCard(
    string Name,
    DiTConfig Architecture,
    long Parameters,
    IReadOnlyDictionary<string, double> GflopsPerForward,
    string DataRecipe,
    IReadOnlyList<string> RebuildCommands,
    string TrainingSummary,
    string ConversionSummary,
    PlanEvaluation Evaluation,
    string DefaultPlan,
    IReadOnlyList<string> Figures)
{
    public static string DataRecipeText =>
        $"Shapes (procedural, seed 0, generated on the fly): {ShapesDataset.ImageSize}×{ShapesDataset.ImageSize} RGB in [-1, 1], one shape " +
        "(circle, square, triangle, cross, ring) in one of eight colours (red, orange, yellow, green, cyan, blue, purple, white), " +
        "random radius 5–11 px and position, on a muted plain background at least 0.5 (RGB distance) from the shape colour; " +
        $"class = shape × colour ({ShapesDataset.NumClasses} classes), anti-aliased by 4×4 supersampling.";

    public void WriteJson(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, EvalReportWriter.Json));

    public void WriteMarkdown(string path)
    {
        var a = Architecture;
        var s = new StringBuilder();
        s.AppendLine($"# {Name}: the FlexiDiT that ships with FlexiDiT.AI");
        s.AppendLine();
        s.AppendLine("A small class-conditional Diffusion Transformer in the official DiT architecture (same code path as the published DiT-XL/2), " +
            "trained from scratch by `flexidit train` on procedurally generated data, then converted to a FlexiDiT (one extra, weak patch size) by `flexidit convert`.");
        s.AppendLine();
        s.AppendLine("## Data");
        s.AppendLine(DataRecipe);
        s.AppendLine();
        s.AppendLine("## Architecture");
        s.AppendLine($"- DiT, pixel space: input {a.InputSize}×{a.InputSize}×{a.InChannels}, patch {a.PatchSize} ({a.InputSize / a.PatchSize * (a.InputSize / a.PatchSize)} tokens), depth {a.Depth}, width {a.HiddenSize}, {a.Heads} heads, " +
            $"MLP ×{a.MlpRatio}, learned sigma, {a.NumClasses} classes + a null class for guidance; {Parameters / 1e6:F2} M parameters (with the weak patch size's parts).");
        s.AppendLine($"- FlexiDiT: weak patch size{(a.FlexiPatchSizes.Length > 1 ? "s" : "")} {string.Join(", ", a.FlexiPatchSizes)} " +
            $"(PI-resize initialised embedding and de-embedding, sin-cos positions in the original grid's coordinates, patch-size embedding, LoRA rank {a.FlexiLoraRank} on attention and MLP); the original patch size runs the original weights unchanged.");
        s.AppendLine($"- FLOPs per forward of one image (2 per multiply-add): {string.Join(", ", GflopsPerForward.Select(kv => $"patch {kv.Key}: {kv.Value:F3} G"))}.");
        s.AppendLine();
        ModelCardSections.HowItWasMade(s, TrainingSummary, ConversionSummary, RebuildCommands);
        s.AppendLine("## Evaluation (`flexidit eval`)");
        s.AppendLine($"Default plan: `{DefaultPlan}`.");
        s.AppendLine();
        s.AppendLine(EvalReportWriter.Markdown(Evaluation));
        s.AppendLine("Targets:");
        s.AppendLine(new QualityTargets().Check(Evaluation).Markdown());
        s.AppendLine();
        s.AppendLine("FD: Fréchet distance between generated and 4000 real Shapes images in the 32-d feature space of the shipped classifier (`classifier.safetensors`, trained by `flexidit train-classifier`). " +
            "Class/shape accuracy: the classifier's verdict; colour accuracy (detector): a hand-written colour detector (border-median background, foreground median, nearest palette colour).");
        s.AppendLine();
        ModelCardSections.Figures(s, "Quality against FLOPs, and samples per plan: the grids show the same classes and seeds in every plan, so they compare image for image.", Figures);
        File.WriteAllText(path, s.ToString());
    }

    public static IReadOnlyDictionary<string, double> Gflops(DiTConfig config) =>
        config.AllPatchSizes.ToDictionary(p => p.ToString(), p => FlopCounter.Flops(config, p) / 1e9);
}
