using System.CommandLine;
using FlexiDiT.Flops;
using FlexiDiT.Models;
using FlexiDiT.Packs;
using FlexiDiT.Sampling;

namespace FlexiDiT.Cli.Commands;

/// <summary><c>flexidit flops</c>: FLOPs of a config per forward and per plan.</summary>
internal static class FlopsCommand
{
    public static Command Create()
    {
        var model = new Option<string?>("--model") { Description = "Model pack (default: the shipped Shapes FlexiDiT)" };
        var name = new Option<string?>("--dit") { Description = "An official config instead of a pack, e.g. DiT-XL/2" };
        var pixart = new Option<string?>("--pixart") { Description = "An official PixArt-α config instead of a pack: PixArt-XL/2 (caption of model_max_length tokens; the T5-XXL text encoder is reported separately)" };
        var inputSize = new Option<int>("--input-size") { DefaultValueFactory = _ => 32, Description = "Latent side for --dit / --pixart (256² images: 32)" };
        var plan = new Option<string[]>("--plan") { Description = "Plans to count (default: all of the pack's)", AllowMultipleArgumentsPerToken = true };
        var command = new Command("flops", "FLOPs per forward at each patch size and per image of each plan (2 FLOPs per multiply-add; DiT's convention in brackets)")
        { model, name, pixart, inputSize, plan };
        command.SetAction(parse =>
        {
            if (parse.GetValue(pixart) is { } pixartName) return PrintPixArt(PixArtConfig.Official(pixartName, parse.GetValue(inputSize)));
            IDenoiserGeometry config;
            IReadOnlyList<PlanSpec> plans;
            if (parse.GetValue(name) is { } dit)
            {
                var official = DiTConfig.Official(dit, parse.GetValue(inputSize));
                config = official with { FlexiPatchSizes = official.InputSize % (2 * official.PatchSize) == 0 ? [2 * official.PatchSize] : [] };
                plans = [new PlanSpec { Name = "full", Respacing = "250" }, new PlanSpec { Name = "flexi-130/130", Respacing = "250", PowerfulCondSteps = 130, PowerfulGuidanceSteps = 130 },
                    new PlanSpec { Name = "flexi-70/70", Respacing = "250", PowerfulCondSteps = 70, PowerfulGuidanceSteps = 70 }, new PlanSpec { Name = "flexi-30/0", Respacing = "250", PowerfulCondSteps = 30, PowerfulGuidanceSteps = 0 }];
            }
            else
            {
                var pack = ModelPack.Find(parse.GetValue(model));
                // A class pack's DiT or a text-to-image pack's PixArt-α (its caption tokens counted).
                var loaded = pack.LoadDenoiser();
                config = loaded.Geometry;
                ((IDisposable)loaded).Dispose();
                plans = pack.Manifest.Plans;
            }
            string[] only = parse.GetValue(plan) ?? [];
            Console.WriteLine($"Per forward of one image (FLOPs = 2 × multiply-adds; [DiT paper's 'Gflops' = multiply-adds]):");
            foreach (int p in config.AllPatchSizes)
            {
                long multiplyAdds = config switch
                {
                    DiTConfig d => FlopCounter.MultiplyAdds(d, p),
                    PixArtConfig x => FlopCounter.MultiplyAdds(x, p),
                    _ => throw new NotSupportedException($"No FLOP count for {config.GetType().Name}."),
                };
                Console.WriteLine($"  patch {p}: {2 * multiplyAdds / 1e9,10:F3} GFLOPs  [{multiplyAdds / 1e9:F3} G]");
            }
            var full = plans.FirstOrDefault(p => p.PowerfulCondSteps is null && p.PowerfulGuidanceSteps is null);
            Console.WriteLine("Per image of each plan:");
            foreach (var spec in plans.Where(p => only.Length == 0 || only.Contains(p.Name)))
            {
                long flops = SamplingRun.PlanFlops(config, spec.Build(config), 1);
                long powerful = SamplingRun.PlanFlops(config, (spec with { PowerfulCondSteps = null, PowerfulGuidanceSteps = null }).Build(config), 1);
                Console.WriteLine($"  {spec.Name,-16} {flops / 1e12,9:F4} TFLOPs  {flops / (double)powerful,6:P1} of the same steps at full compute  ({spec.Describe()})");
            }
            return 0;
        });
        return command;
    }

    // PixArt-α per forward at its patch size and twice it (FlexiDiT's weak size), with its 120 caption tokens.
    private static int PrintPixArt(PixArtConfig config)
    {
        config = config with { FlexiPatchSizes = config.InputSize % (2 * config.PatchSize) == 0 ? [2 * config.PatchSize] : [] };
        Console.WriteLine($"PixArt-{(config.HiddenSize == 1152 ? "XL" : config.HiddenSize.ToString(System.Globalization.CultureInfo.InvariantCulture))}/{config.PatchSize}, latent {config.InputSize}², {config.ModelMaxLength} caption tokens of {config.CaptionChannels} channels.");
        Console.WriteLine("Per forward of one image (FLOPs = 2 × multiply-adds), cross-attention included:");
        foreach (int p in config.AllPatchSizes)
            Console.WriteLine($"  patch {p}: {FlopCounter.Flops(config, p) / 1e9,10:F3} GFLOPs  [{FlopCounter.MultiplyAdds(config, p) / 1e9:F3} G multiply-adds]");
        long t5 = FlopCounter.T5EncoderMultiplyAdds(dModel: 4096, heads: 64, dKv: 64, dFf: 10240, layers: 24, tokens: config.ModelMaxLength);
        Console.WriteLine($"Text encoder (T5-XXL, once per prompt, not per step): {2 * t5 / 1e9:F1} GFLOPs [{t5 / 1e9:F1} G multiply-adds] for {config.ModelMaxLength} tokens.");
        return 0;
    }
}
