using System.Globalization;
using System.Text;
using System.Text.Json;
using FlexiDiT.Data;
using FlexiDiT.Flops;
using FlexiDiT.Models;
using FlexiDiT.Prompts.Captions;

namespace FlexiDiT.Cli.Reporting;

/// <summary>
/// The model card of a Shapes scenes (text-to-image) pack: data and caption recipe, architecture, how it was made, what
/// it measures, and the prompts of its prompt grid.
/// </summary>
internal sealed record ScenesModelCard(
    string Name,
    TextToImageConfig Architecture,
    long Parameters,
    IReadOnlyDictionary<string, double> GflopsPerForward,
    IReadOnlyList<string> RebuildCommands,
    string TrainingSummary,
    string ConversionSummary,
    string EvaluationMarkdown,
    string DefaultPlan,
    IReadOnlyList<string> GridPrompts,
    IReadOnlyList<string> Figures)
{
    /// <summary>The file of the prompt grid (one row per prompt, one column per seed).</summary>
    public const string PromptGridFile = "grid-prompts.png";

    public static string DataRecipeText
    {
        get
        {
            int Count(CaptionSplit split) => SceneGrammar.Phrases.Count(p => p.Split == split);
            int Templates(CaptionSplit split) => SceneGrammar.Templates.Count(t => t.Split == split);
            return "Shapes scenes (procedural, generated on the fly by `SceneDataset`): 32×32 RGB in [-1, 1], one object: shape (circle, square, triangle, cross, ring), " +
                $"colour ({string.Join(", ", ShapeColor.Palette.Select(c => c.Name))}), size (small, medium, large), position (3×3 grid), on a light or dark background of any hue; " +
                $"captions by `SceneCaptioner` from the training half of the scene grammar ({Templates(CaptionSplit.Training)} templates, {Count(CaptionSplit.Training)} phrases), " +
                $"attributes left out at random. {Templates(CaptionSplit.HeldOut)} templates and {Count(CaptionSplit.HeldOut)} phrases are held out of training; at inference " +
                "held-out phrases are rewritten to training ones before encoding, unknown words are ignored and reported, and a prompt that names nothing of the world is refused.";
        }
    }

    public void WriteJson(string path) => File.WriteAllText(path, JsonSerializer.Serialize(this, EvalReportWriter.Json));

    public void WriteMarkdown(string path)
    {
        var d = Architecture.Denoiser;
        var s = new StringBuilder();
        s.AppendLine($"# {Name}: the text-to-image FlexiDiT that ships with FlexiDiT.AI");
        s.AppendLine();
        s.AppendLine("A small text-to-image Diffusion Transformer in the PixArt-α architecture (same code path as the published PixArt-α) with a caption encoder trained jointly with it, " +
            "trained from scratch by `flexidit train-t2i` on procedurally generated captioned scenes, then converted to a FlexiDiT (one extra, weak patch size) by `flexidit convert`.");
        s.AppendLine();
        s.AppendLine("## Data");
        s.AppendLine(DataRecipeText);
        s.AppendLine();
        s.AppendLine("## Architecture");
        s.AppendLine($"- Caption encoder: the scene grammar's WordPiece vocabulary ({Architecture.VocabularySize} tokens), {d.ModelMaxLength} tokens, width {d.CaptionChannels}, " +
            $"{Architecture.EncoderDepth} transformer layers, {Architecture.EncoderHeads} heads.");
        s.AppendLine($"- PixArt-α, pixel space: input {d.InputSize}×{d.InputSize}×{d.InChannels}, patch {d.PatchSize} ({d.InputSize / d.PatchSize * (d.InputSize / d.PatchSize)} tokens), depth {d.Depth}, " +
            $"width {d.HiddenSize}, {d.NumHeads} heads, MLP ×{d.MlpRatio}, {(d.PredSigma ? "learned sigma" : "fixed sigma")}, cross-attention to the caption{(d.PooledCaption ? " and its pooled mean added to the timestep embedding" : "")}, " +
            $"learned null caption for guidance; {Parameters / 1e6:F2} M parameters in all (with the weak patch size's parts).");
        s.AppendLine($"- FlexiDiT: weak patch size{(d.FlexiPatchSizes.Length > 1 ? "s" : "")} {string.Join(", ", d.FlexiPatchSizes)} (LoRA rank {d.FlexiLoraRank}); the original patch size runs the original weights unchanged.");
        s.AppendLine($"- FLOPs per denoiser forward of one image (2 per multiply-add): {string.Join(", ", GflopsPerForward.Select(kv => $"patch {kv.Key}: {kv.Value:F3} G"))}.");
        s.AppendLine();
        ModelCardSections.HowItWasMade(s, TrainingSummary, ConversionSummary, RebuildCommands);
        s.AppendLine("## Evaluation (`flexidit eval`)");
        s.AppendLine($"Default plan: `{DefaultPlan}`.");
        s.AppendLine();
        s.AppendLine(EvaluationMarkdown);
        s.AppendLine();
        s.AppendLine("## Prompts");
        s.AppendLine($"`{PromptGridFile}`: one row per prompt, top to bottom, each drawn with the default plan from the same seeds:");
        s.AppendLine();
        for (int i = 0; i < GridPrompts.Count; i++) s.AppendLine(CultureInfo.InvariantCulture, $"{i + 1}. \"{GridPrompts[i]}\"");
        s.AppendLine();
        s.AppendLine($"![prompts]({PromptGridFile})");
        s.AppendLine();
        ModelCardSections.Figures(s, "Quality against FLOPs, and samples per plan (the same captions and seeds in every plan, so they compare image for image).", Figures);
        File.WriteAllText(path, s.ToString());
    }

    public static IReadOnlyDictionary<string, double> Gflops(PixArtConfig config) =>
        config.AllPatchSizes.ToDictionary(p => p.ToString(CultureInfo.InvariantCulture), p => FlopCounter.Flops(config, p) / 1e9);
}
