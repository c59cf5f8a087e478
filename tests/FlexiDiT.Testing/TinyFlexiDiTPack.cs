using System.Globalization;
using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.Data;
using FlexiDiT.Models;
using FlexiDiT.Packs;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Sampling;
using FlexiDiT.Extensions.AI;
using TorchSharp;

namespace FlexiDiT.Testing;

/// <summary>
/// A complete FlexiDiT setup in a temp folder, built in a second: a random-init tiny FlexiDiT (one block, width 32,
/// patch 2 with weak patch 4) over the 40 Shapes classes — or, for <see cref="PackKind.TextToImage"/>, a random-init
/// tiny PixArt-α FlexiDiT of the same size over the repository's tiny reference T5 (8 tokens of 32 channels), or
/// (<see cref="CreateScenes"/>) a random-init tiny Shapes scenes model (caption encoder + PixArt-α with pooled caption, one
/// file, <c>"textEncoder": { "kind": "scenes" }</c>) — a pack with three plans, a measured-style plan table with
/// quality, policies and a latency model, shared by the tests of everything built on the generator (generator, plugin, server).
/// </summary>
/// <remarks>
/// <para>Plans (10 DDPM steps, guidance 4): <c>full</c> (all powerful), <c>weak</c> (powerful 5/0) and <c>cheap</c>
/// (all weak). Quality in the table: FD 10.0 / 10.3 / 14.0, class accuracy 0.99 / 0.97 / 0.60, so <c>draft</c>
/// (no floor) picks <c>cheap</c>, <c>slide</c> (FD ≤ 1.05× full) picks <c>weak</c> and <c>ad-creative</c> (FD ≤ 1.0×,
/// accuracy ≥ 0.95) picks <c>full</c>.</para>
/// <para>Pricing is 1000 credits per TFLOP with no minimum, so costs follow FLOPs; tenant <c>test-tenant</c> may do
/// everything with 1000 credits a month, <c>drafts-only</c> only drafts.</para>
/// </remarks>
public sealed class TinyFlexiDiTPack : IDisposable
{
    /// <summary>The pack's name (its <c>ModelId</c>).</summary>
    public const string Name = "tiny-shapes";

    /// <summary>A tenant allowed every task type.</summary>
    public const string Tenant = "test-tenant";

    /// <summary>A tenant allowed drafts only.</summary>
    public const string DraftsOnlyTenant = "drafts-only";

    /// <summary>A tenant whose budget (one micro-credit) cannot pay for any image.</summary>
    public const string BrokeTenant = "broke";

    /// <summary>The model's architecture.</summary>
    public static readonly DiTConfig ModelConfig = ShapesDataset.ModelConfig(depth: 1, hidden: 32, heads: 2);

    /// <summary>The text-to-image model's architecture: PixArt-α blocks of the class model's size, captions of the tiny T5.</summary>
    public static readonly PixArtConfig TextToImageConfig = new()
    {
        InputSize = ModelConfig.InputSize, PatchSize = 2, InChannels = 3, HiddenSize = 32, Depth = 1, NumHeads = 2,
        CaptionChannels = 32, ModelMaxLength = 8, PredSigma = true,
    };

    /// <summary>The pack's plans, unless <see cref="Create(PackKind, IReadOnlyList{PlanSpec}, int)"/> was given others.</summary>
    public static readonly IReadOnlyList<PlanSpec> Plans =
    [
        new() { Name = "full", Respacing = "10" },
        new() { Name = "weak", Respacing = "10", PowerfulCondSteps = 5, PowerfulGuidanceSteps = 0 },
        new() { Name = "cheap", Respacing = "10", PowerfulCondSteps = 0, PowerfulGuidanceSteps = 0 },
    ];

    private static readonly Dictionary<string, (double Fd, double Accuracy)> Quality = new()
    {
        ["full"] = (10.0, 0.99),
        ["weak"] = (10.3, 0.97),
        ["cheap"] = (14.0, 0.60),
    };

    /// <summary>The scenes model's architecture: a one-layer caption encoder over the scene grammar feeding a PixArt-α of the class model's size.</summary>
    public static readonly Models.TextToImageConfig ScenesConfig = TinyScenes();

    /// <summary>Builds the class-conditional fixture in a new temp folder.</summary>
    public TinyFlexiDiTPack()
        : this(PackKind.Class, scenes: false, Plans, loraRank: 0)
    {
    }

    // xUnit's collection fixtures need a single public constructor: other kinds come from Create and CreateScenes.
    private TinyFlexiDiTPack(PackKind kind, bool scenes, IReadOnlyList<PlanSpec> plans, int loraRank)
    {
        Kind = kind;
        PackPlans = plans;
        Root = Directory.CreateTempSubdirectory("flexidit-meai").FullName;
        PackFolder = Directory.CreateDirectory(Path.Combine(Root, Name)).FullName;
        PoliciesFolder = Directory.CreateDirectory(Path.Combine(Root, "policies")).FullName;
        LatencyModelPath = Path.Combine(Root, "latency.json");

        if (scenes)
        {
            Geometry = WriteScenesModel(PackFolder, loraRank);
        }
        else if (kind == PackKind.TextToImage)
        {
            Geometry = WriteTextToImageModel(PackFolder, loraRank);
        }
        else
        {
            Geometry = WriteClassModel(PackFolder, loraRank);
            File.WriteAllLines(Path.Combine(PackFolder, "classes.txt"), ShapesDataset.ClassNames);
        }

        WriteJson(Path.Combine(PackFolder, "pack.json"), new Dictionary<string, object?>
        {
            ["name"] = Name,
            ["description"] = "Random-init tiny FlexiDiT for tests",
            ["kind"] = kind == PackKind.TextToImage ? "text-to-image" : "class",
            ["checkpoint"] = "model.safetensors",
            [kind == PackKind.TextToImage ? "textEncoder" : "classes"] = scenes ? new { kind = "scenes" } : kind == PackKind.TextToImage ? new { kind = "t5", path = "t5" } : "classes.txt",
            ["plans"] = plans,
            ["planTable"] = "plans.json",
            ["defaults"] = new { plan = plans[0].Name, seed = 7 },
        });
        WriteJson(Path.Combine(PackFolder, "plans.json"), PlanTableJson());
        WritePolicies(PoliciesFolder);

        // Fixed latencies keep predictions (and so decisions) deterministic; runs refine them through Observe.
        File.WriteAllText(LatencyModelPath, """
            { "device": "test", "entries": [
              { "patchSize": 2, "batch": 1, "ms": 5 }, { "patchSize": 2, "batch": 16, "ms": 40 },
              { "patchSize": 4, "batch": 1, "ms": 2 }, { "patchSize": 4, "batch": 16, "ms": 10 } ] }
            """);
    }

    /// <summary>Builds the fixture of <paramref name="kind"/> in a new temp folder.</summary>
    /// <param name="kind">Class-conditional (DiT) or text-to-image (PixArt-α with T5).</param>
    /// <returns>The fixture.</returns>
    public static TinyFlexiDiTPack Create(PackKind kind) => new(kind, scenes: false, Plans, loraRank: 0);

    /// <summary>
    /// Builds the fixture of <paramref name="kind"/> with plans of the test's own (the first is the default) and, where
    /// the test needs the weak patch's LoRA, a LoRA of <paramref name="loraRank"/> as <c>flexidit convert</c> adds.
    /// </summary>
    /// <param name="kind">Class-conditional (DiT) or text-to-image (PixArt-α with T5).</param>
    /// <param name="plans">The pack's plans; the plan table has quality only for those named as in <see cref="Plans"/>.</param>
    /// <param name="loraRank">The rank of the weak patch size's LoRA (0: none).</param>
    /// <returns>The fixture.</returns>
    public static TinyFlexiDiTPack Create(PackKind kind, IReadOnlyList<PlanSpec> plans, int loraRank = 0)
    {
        ArgumentNullException.ThrowIfNull(plans);
        ArgumentOutOfRangeException.ThrowIfZero(plans.Count, nameof(plans));
        return new(kind, scenes: false, plans, loraRank);
    }

    /// <summary>Builds the text-to-image fixture of the Shapes scenes kind (its own caption encoder in the checkpoint) in a new temp folder.</summary>
    /// <returns>The fixture.</returns>
    public static TinyFlexiDiTPack CreateScenes() => new(PackKind.TextToImage, scenes: true, Plans, loraRank: 0);

    // As the shipped model: pooled caption on (train-t2i's default).
    private static Models.TextToImageConfig TinyScenes()
    {
        var config = Models.TextToImageConfig.Scenes(SceneTokenizer.FromGrammar(24).VocabularySize, depth: 1, hidden: 32, heads: 2, captionWidth: 32, captionTokens: 24, encoderDepth: 1, encoderHeads: 2);
        return config with { Denoiser = config.Denoiser with { PooledCaption = true } };
    }

    private static PixArtConfig WriteScenesModel(string folder, int loraRank)
    {
        using var model = new TextToImageModel(ScenesConfig);
        model.Initialize(new torch.Generator(3));
        Perturb(model);
        Flexify.AddWeakPatchSize(model.Denoiser, 4, loraRank);
        TextToImageCheckpoint.Save(model, Path.Combine(folder, "model.safetensors"));
        return model.Config.Denoiser;
    }

    // Official init zeroes the adaLN and output layers; small random weights make the work and the images real.
    private static void Perturb(torch.nn.Module model)
    {
        using (torch.no_grad())
        {
            foreach (var p in model.parameters())
            {
                p.add_(torch.randn(p.shape, generator: new torch.Generator(2)) * 0.05);
            }
        }
    }

    private static PixArtConfig WriteTextToImageModel(string folder, int loraRank)
    {
        using (var model = new PixArt(TextToImageConfig))
        {
            using (torch.no_grad())
            {
                foreach (var p in model.parameters()) p.zero_();
            }

            Perturb(model);
            Flexify.AddWeakPatchSize(model, 4, loraRank);
            PixArtCheckpoint.Save(model, Path.Combine(folder, "model.safetensors"));
            var config = model.Config;

            // The repository's tiny reference T5 (random weights, a real SentencePiece model) as the pack's text encoder.
            string reference = Path.Combine(RepositoryRoot(), "tests", "reference");
            string t5 = Directory.CreateDirectory(Path.Combine(folder, "t5")).FullName;
            File.Copy(Path.Combine(reference, "t5_tiny_a.safetensors"), Path.Combine(t5, "model.safetensors"));
            File.Copy(Path.Combine(reference, "t5_tiny_a.config.json"), Path.Combine(t5, "config.json"));
            File.Copy(Path.Combine(reference, "t5_tiny_a.spiece.model"), Path.Combine(t5, "spiece.model"));
            return config;
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "FlexiDiT.AI.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No FlexiDiT.AI.sln above {AppContext.BaseDirectory}; the text-to-image fixture copies tests/reference/t5_tiny_a.*.");
    }

    private static DiTConfig WriteClassModel(string folder, int loraRank)
    {
        using (var model = new DiT(ModelConfig))
        {
            OfficialInit.Apply(model, new torch.Generator(1));
            Perturb(model);

            Flexify.AddWeakPatchSize(model, 4, loraRank);
            DiTCheckpoint.Save(model, Path.Combine(folder, "model.safetensors"));
            return model.Config;
        }
    }

    /// <summary>Gets the temp folder holding everything.</summary>
    public string Root { get; }

    /// <summary>Gets the pack folder (pass it as <see cref="FlexiDiTOptions.Model"/>).</summary>
    public string PackFolder { get; }

    /// <summary>Gets the policies folder.</summary>
    public string PoliciesFolder { get; }

    /// <summary>Gets the latency model file.</summary>
    public string LatencyModelPath { get; }

    /// <summary>Gets the plans in this pack's manifest and plan table (<see cref="Plans"/> unless the test chose others).</summary>
    public IReadOnlyList<PlanSpec> PackPlans { get; }

    /// <summary>Gets what the model is conditioned on.</summary>
    public PackKind Kind { get; }

    /// <summary>Gets the model's shape and patch sizes as saved (with the weak patch size), for either kind.</summary>
    public IDenoiserGeometry Geometry { get; }

    /// <summary>Gets the class model's config as saved (with the weak patch size).</summary>
    public DiTConfig Config => Geometry as DiTConfig ?? throw new InvalidOperationException("The text-to-image fixture has a PixArt-α; see Geometry.");

    /// <summary>FLOPs per image of a plan on this model.</summary>
    /// <param name="spec">The plan.</param>
    /// <returns>The FLOPs.</returns>
    public long FlopsPerImage(PlanSpec spec) => SamplingRun.PlanFlops(Geometry, spec.Build(Geometry), 1);

    /// <summary>
    /// Options for one test: this pack, policies and latency model, with a ledger and an output folder of the test's
    /// own, so tests never share budgets.
    /// </summary>
    /// <param name="configure">Further changes, if any.</param>
    /// <returns>The options.</returns>
    public FlexiDiTOptions CreateOptions(Action<FlexiDiTOptions>? configure = null)
    {
        var options = new FlexiDiTOptions();
        Configure(options);
        configure?.Invoke(options);
        return options;
    }

    /// <summary>Applies this fixture to options (for <c>services.AddFlexiDiT(fixture.Configure)</c>).</summary>
    /// <param name="options">The options to set.</param>
    public void Configure(FlexiDiTOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var run = Directory.CreateDirectory(Path.Combine(Root, "runs", Guid.NewGuid().ToString("N"))).FullName;
        options.Model = PackFolder;
        options.PoliciesPath = PoliciesFolder;
        options.LatencyModelPath = LatencyModelPath;
        options.LedgerPath = Path.Combine(run, "ledger.db");
        options.OutputFolder = Path.Combine(run, "images");
        options.DefaultTenant = Tenant;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
            // SQLite may still hold a pooled connection to a ledger; the OS cleans the temp folder.
        }
    }

    private object PlanTableJson()
    {
        long full = PackPlans.Max(FlopsPerImage);
        return new
        {
            model = Name,
            plans = PackPlans.Select(spec =>
            {
                // Plans of a test's own have no measured quality: the table says so with nulls.
                (double Fd, double Accuracy)? quality = Quality.TryGetValue(spec.Name, out var q) ? q : null;
                var plan = spec.Build(Geometry);
                long flops = FlopsPerImage(spec);
                return new
                {
                    name = spec.Name,
                    description = spec.Describe(),
                    spec,
                    steps = plan.Steps.Count,
                    weakSteps = plan.WeakConditionalSteps(Geometry.PatchSize),
                    forwards = plan.ForwardsByPatch().ToDictionary(p => p.Key.ToString(CultureInfo.InvariantCulture), p => p.Value),
                    flopsPerImage = (double)flops,
                    flopsFraction = flops / (double)full,
                    frechetDistance = quality?.Fd,
                    classAccuracy = quality?.Accuracy,
                };
            }).ToList(),
        };
    }

    private static void WritePolicies(string folder)
    {
        File.WriteAllText(Path.Combine(folder, "tasks.yaml"), """
            tasks:
              draft:
                qualityFloor: none
                defaultSlaMs: 60000
                mayDegrade: true
                maxCount: 4
              slide:
                qualityFloor:
                  maxFrechetRatio: 1.05
                defaultSlaMs: 60000
                mayDegrade: true
                maxCount: 4
              ad-creative:
                qualityFloor:
                  maxFrechetRatio: 1.0
                  minClassAccuracy: 0.95
                defaultSlaMs: 60000
                mayDegrade: false
                maxCount: 2
            """);
        File.WriteAllText(Path.Combine(folder, "tenants.yaml"), $"""
            tenants:
              {Tenant}:
                budget: 1000
                period: monthly
                allowedTasks: ["*"]
              {DraftsOnlyTenant}:
                budget: 1000
                period: monthly
                allowedTasks: [draft]
              {BrokeTenant}:
                budget: 0.000001
                period: daily
                allowedTasks: ["*"]
            """);
        File.WriteAllText(Path.Combine(folder, "pricing.yaml"), """
            pricing:
              creditsPerTflop: 1000
              minimumChargePerImage: 0
            """);
    }

    private static void WriteJson(string path, object value) =>
        File.WriteAllText(path, JsonSerializer.Serialize(value, new JsonSerializerOptions { WriteIndented = true }));
}
