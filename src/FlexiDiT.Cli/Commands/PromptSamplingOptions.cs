using System.CommandLine;
using FlexiDiT.Packs;
using FlexiDiT.Prompts;
using FlexiDiT.Sampling;

namespace FlexiDiT.Cli.Commands;

/// <summary>What the commands that sample from a prompt share: the prompt, the pack, the plan, the seed and the device.</summary>
internal sealed class PromptSamplingOptions
{
    public Argument<string> Prompt { get; } = new("prompt") { Description = "What to draw: for a class pack, naming one of its classes (e.g. \"a red circle\"); for a text-to-image pack, any prompt" };
    public Option<string?> Model { get; } = new("--model") { Description = "Model pack name or folder (default: the shipped Shapes FlexiDiT)" };
    public Option<string?> Mode { get; } = new("--mode") { Description = "Compute plan (see 'flexidit models'); default: the pack's default" };
    public Option<long?> Seed { get; } = new("--seed") { Description = "Seed (same seed, same images, in 'generate' and 'trace' alike)" };
    public Option<string?> Device { get; } = new("--device") { Description = "Where the model runs: cpu (default), cuda, cuda:N (needs the CUDA build)" };

    /// <summary>Adds the prompt and the shared options to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        command.Arguments.Add(Prompt);
        foreach (var option in new Option[] { Model, Mode, Seed, Device }) command.Options.Add(option);
    }

    /// <summary>
    /// The pack, the class the prompt names (a clear error listing the classes if none; null for a text-to-image pack,
    /// which takes the prompt as it is) and the plan.
    /// </summary>
    public (ModelPack Pack, ClassMatch? Match, PlanSpec Plan) Resolve(ParseResult parse)
    {
        var pack = ModelPack.Find(parse.GetValue(Model));
        var match = pack.IsTextToImage ? null : pack.Matcher.Match(parse.GetValue(Prompt)!);
        var plan = parse.GetValue(Mode) is { } m ? pack.Plan(m) : pack.DefaultPlan;
        return (pack, match, plan);
    }

    /// <summary>The seed asked for, else the pack's default.</summary>
    public long SeedOf(ParseResult parse, ModelPack pack) => parse.GetValue(Seed) ?? pack.Manifest.Defaults.Seed;
}
