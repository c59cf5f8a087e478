using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.Models;
using FlexiDiT.Prompts;
using FlexiDiT.Prompts.Captions;
using FlexiDiT.Sampling;
using FlexiDiT.TextEncoders;
using static TorchSharp.torch;

namespace FlexiDiT.Packs;

/// <summary>
/// A model pack on disk: a <c>pack.json</c> manifest and the files it names. The product's own Shapes
/// model is the pack <c>models/shapes-flexidit</c>; users assemble packs for the published DiT-XL/2.
/// </summary>
public sealed class ModelPack
{
    /// <summary>File name of a manifest.</summary>
    public const string ManifestFileName = "pack.json";
    /// <summary>Name of the pack this product ships and uses by default.</summary>
    public const string DefaultPackName = "shapes-flexidit";
    /// <summary>Environment variable naming a pack (folder or manifest) to use by default.</summary>
    public const string DefaultPackVariable = "FLEXIDIT_MODEL";

    private readonly Lazy<ClassPromptMatcher> matcher;

    private ModelPack(string manifestPath, ModelPackManifest manifest, string checkpointPath, IReadOnlyList<ClassEntry> classes)
    {
        ManifestPath = manifestPath;
        CheckpointPath = checkpointPath;
        Manifest = manifest;
        Classes = classes;
        ClassNames = classes.Select(c => c.Name).ToArray();
        matcher = new Lazy<ClassPromptMatcher>(() => new ClassPromptMatcher(classes));
    }

    /// <summary>The manifest file.</summary>
    public string ManifestPath { get; }
    /// <summary>The folder relative paths are resolved against.</summary>
    public string Directory => Path.GetDirectoryName(ManifestPath)!;
    /// <summary>The manifest.</summary>
    public ModelPackManifest Manifest { get; }
    /// <summary>The full path of the manifest's <c>checkpoint</c>, resolved (and found to exist) when the pack was loaded.</summary>
    public string CheckpointPath { get; }
    /// <summary>The pack's name.</summary>
    public string Name => Manifest.Name;
    /// <summary>Whether prompts go through a text encoder (else they are matched to <see cref="Classes"/>).</summary>
    public bool IsTextToImage => Manifest.Kind == PackKind.TextToImage;
    /// <summary>Class names by index (first synonym); empty for a text-to-image pack.</summary>
    public IReadOnlyList<string> ClassNames { get; }
    /// <summary>Each class with its synonyms.</summary>
    public IReadOnlyList<ClassEntry> Classes { get; }
    /// <summary>Maps prompts ("a red circle please") to the pack's classes.</summary>
    public ClassPromptMatcher Matcher => matcher.Value;

    /// <summary>Resolves a path of the manifest.</summary>
    public string Resolve(string path) => Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(Directory, path));

    /// <summary>Loads a pack from its folder or manifest, checking that every file it names exists.</summary>
    public static ModelPack Load(string folderOrManifest)
    {
        string manifestPath = System.IO.Directory.Exists(folderOrManifest) ? Path.Combine(folderOrManifest, ManifestFileName) : folderOrManifest;
        manifestPath = Path.GetFullPath(manifestPath);
        if (!File.Exists(manifestPath))
            throw new FileNotFoundException($"No model pack at {folderOrManifest}: expected a folder with {ManifestFileName} or a manifest file.", manifestPath);
        ModelPackManifest manifest;
        try
        {
            manifest = JsonSerializer.Deserialize<ModelPackManifest>(File.ReadAllText(manifestPath), JsonOptions)
                ?? throw new InvalidDataException($"Model pack manifest {manifestPath} is empty.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Model pack manifest {manifestPath} is not valid: {e.Message}", e);
        }
        string folder = Path.GetDirectoryName(manifestPath)!;
        string Need(string field, string? path)
        {
            if (path is null) throw new InvalidDataException($"Model pack {manifestPath}: '{field}' is required.");
            string full = Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(folder, path));
            if (!File.Exists(full)) throw new FileNotFoundException($"Model pack {manifestPath}: '{field}' names {full}, which does not exist.", full);
            return full;
        }
        string checkpoint = Need("checkpoint", manifest.Checkpoint);
        if (manifest.Config is not null) Need("config", manifest.Config);
        if (manifest.Vae is not null)
        {
            Need("vae.weights", manifest.Vae.Weights);
            Need("vae.config", manifest.Vae.Config);
        }
        if (manifest.PlanTable is not null) Need("planTable", manifest.PlanTable);
        if (manifest.Classifier is not null) Need("classifier", manifest.Classifier);
        IReadOnlyList<ClassEntry> classes;
        if (manifest.Kind == PackKind.TextToImage)
        {
            if (manifest.TextEncoder is null)
                throw new InvalidDataException($"Model pack {manifestPath}: a text-to-image pack needs 'textEncoder' ({{ \"kind\": \"t5\", \"path\": \"<folder>\" }} or {{ \"kind\": \"scenes\" }}).");
            if (manifest.Classes is not null)
                throw new InvalidDataException($"Model pack {manifestPath}: a text-to-image pack takes prompts through its text encoder; remove 'classes'.");
            var encoder = manifest.TextEncoder;
            if (encoder.IsScenes)
            {
                if (encoder.Tokenizer is not null)
                    throw new InvalidDataException($"Model pack {manifestPath}: a scenes text encoder tokenizes with the scene grammar; remove 'textEncoder.tokenizer'.");
                if (manifest.Config is not null)
                    throw new InvalidDataException($"Model pack {manifestPath}: a scenes pack's checkpoint carries its own config; remove 'config'.");
                string weights = encoder.Path is null ? checkpoint : Need("textEncoder.path", encoder.Path);
                // Both halves are read from text-to-image checkpoints: say so now rather than at the first prompt.
                foreach (string file in new[] { checkpoint, weights }.Distinct())
                    TextToImageCheckpoint.ReadConfig(file);
            }
            else if (string.Equals(encoder.Kind, TextEncoderReference.T5, StringComparison.OrdinalIgnoreCase))
            {
                if (encoder.Path is null)
                    throw new InvalidDataException($"Model pack {manifestPath}: a t5 text encoder needs 'textEncoder.path' (the folder with config.json, the weights and spiece.model).");
                string folderPath = Path.IsPathRooted(encoder.Path) ? encoder.Path : Path.GetFullPath(Path.Combine(folder, encoder.Path));
                if (!System.IO.Directory.Exists(folderPath))
                    throw new DirectoryNotFoundException($"Model pack {manifestPath}: 'textEncoder.path' names {folderPath}, which is not a folder.");
                if (encoder.Tokenizer is not null) Need("textEncoder.tokenizer", encoder.Tokenizer);
            }
            else
            {
                throw new InvalidDataException($"Model pack {manifestPath}: textEncoder.kind '{encoder.Kind}' is unknown; supported: {TextEncoderReference.T5}, {TextEncoderReference.Scenes}.");
            }
            classes = [];
        }
        else
        {
            if (manifest.TextEncoder is not null)
                throw new InvalidDataException($"Model pack {manifestPath}: 'textEncoder' is for \"kind\": \"text-to-image\" packs.");
            classes = string.Equals(manifest.Classes, BuiltInImageNet, StringComparison.OrdinalIgnoreCase)
                ? ClassVocabulary.ImageNet
                : ReadClasses(Need("classes", manifest.Classes), manifestPath);
        }
        return new ModelPack(manifestPath, manifest, checkpoint, classes);
    }

    /// <summary>The <c>classes</c> value that selects the built-in ImageNet-1k names.</summary>
    public const string BuiltInImageNet = "imagenet";

    private static ClassEntry[] ReadClasses(string path, string manifestPath)
    {
        var lines = File.ReadAllLines(path).Where(l => l.Trim().Length > 0).Select((l, i) => ClassEntry.Parse(i, l)).ToArray();
        if (lines.Length == 0) throw new InvalidDataException($"Model pack {manifestPath}: the classes file {path} is empty.");
        return lines;
    }

    /// <summary>
    /// The words of <paramref name="prompt"/> a text-to-image pack's text encoder leaves out, known without loading it:
    /// the scenes reader's verdict for a scenes pack (see <see cref="SceneTextEncoder.IgnoredWords"/>); none for T5,
    /// which reads any text, and for a class pack, whose prompts go through <see cref="Matcher"/>.
    /// </summary>
    /// <exception cref="NoSceneConceptException">A scenes pack's prompt names nothing of the scene world.</exception>
    public IReadOnlyList<string> IgnoredWords(string prompt) =>
        Manifest.TextEncoder is { IsScenes: true } ? SceneTextEncoder.IgnoredWordsOf(prompt) : [];

    /// <summary>Loads the model (DiT or FlexiDiT) of a class pack on <paramref name="device"/>.</summary>
    public DiT LoadModel(Device? device = null)
    {
        if (IsTextToImage) throw new InvalidOperationException($"Model pack {Name} is a text-to-image pack; load it with LoadDenoiser.");
        var model = DiTCheckpoint.Load(CheckpointPath, Manifest.Config is null ? null : Resolve(Manifest.Config), device);
        if (model.Config.NumClasses != ClassNames.Count)
            throw new InvalidDataException($"Model pack {Name}: the model has {model.Config.NumClasses} classes but the classes file lists {ClassNames.Count}.");
        // A pack's weights are frozen: weak patch sizes run one product per layer.
        model.MergeAdapters();
        return model;
    }

    /// <summary>Whether prompts go through the scenes model's own encoder (a text-to-image pack whose checkpoint holds both halves).</summary>
    public bool HasSceneEncoder => Manifest.TextEncoder is { IsScenes: true };

    /// <summary>
    /// Loads the denoiser on <paramref name="device"/>: the DiT of a class pack, the PixArt-α of a text-to-image pack
    /// (for a scenes pack, the <c>pixart.*</c> half of its checkpoint, with its weak patch sizes).
    /// </summary>
    public IDenoiser LoadDenoiser(Device? device = null)
    {
        if (!IsTextToImage) return LoadModel(device);
        var pixart = HasSceneEncoder
            ? TextToImageCheckpoint.LoadDenoiser(CheckpointPath, device)
            : PixArtCheckpoint.Load(CheckpointPath, Manifest.Config is null ? null : Resolve(Manifest.Config), device);
        pixart.MergeAdapters();
        return pixart;
    }

    /// <summary>
    /// Loads a text-to-image pack's text encoder, encoding prompts to <paramref name="maxLength"/> tokens (the denoiser's
    /// caption length, e.g. PixArt-α's 120), on <paramref name="device"/> (default CPU).
    /// </summary>
    public ITextEncoder LoadTextEncoder(int maxLength, Device? device = null)
    {
        var reference = Manifest.TextEncoder ?? throw new InvalidOperationException($"Model pack {Name} has no text encoder (it is a {Manifest.Kind} pack).");
        if (reference.IsScenes)
        {
            var scenes = SceneTextEncoder.Load(reference.Path is null ? CheckpointPath : Resolve(reference.Path), device);
            if (scenes.MaxLength != maxLength)
            {
                scenes.Dispose();
                throw new InvalidDataException($"Model pack {Name}: its scenes text encoder gives {scenes.MaxLength} tokens but {maxLength} were asked for (the denoiser's model_max_length); the encoder and denoiser come from different models.");
            }
            return scenes;
        }
        var options = new T5EncoderOptions { MaxLength = maxLength, Device = device };
        string path = Resolve(reference.Path!);
        return reference.Tokenizer is { } tokenizer
            ? T5TextEncoder.Load(path, Resolve(tokenizer), null, options)
            : T5TextEncoder.LoadFolder(path, options);
    }

    /// <summary>A named plan of the pack.</summary>
    public PlanSpec Plan(string name) =>
        FindPlan(name)
        ?? throw new ArgumentException($"Model pack {Name} has no plan '{name}'; it has: {string.Join(", ", Manifest.Plans.Select(p => p.Name))}.", nameof(name));

    /// <summary>The default plan.</summary>
    public PlanSpec DefaultPlan => Plan(Manifest.Defaults.Plan);

    /// <summary>The name of the plan that FLOPs saved are counted against: the pack's full-compute mode.</summary>
    public const string FullComputePlanName = "full";

    /// <summary>
    /// FLOPs of the pack's full-compute plan for <paramref name="count"/> images on <paramref name="config"/>, or
    /// <see langword="null"/> when the pack has no plan named <see cref="FullComputePlanName"/>.
    /// </summary>
    public long? FullComputeFlops(IDenoiserGeometry config, int count) =>
        FindPlan(FullComputePlanName) is { } full ? SamplingRun.PlanFlops(config, full.Build(config), count) : null;

    private PlanSpec? FindPlan(string name) => Manifest.Plans.FirstOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Folders searched for packs: $FLEXIDIT_MODELS_DIR, the program's <c>models</c>, and <c>models</c> above the working directory.</summary>
    public static IEnumerable<string> SearchFolders()
    {
        if (Environment.GetEnvironmentVariable("FLEXIDIT_MODELS_DIR") is { Length: > 0 } custom) yield return custom;
        yield return Path.Combine(AppContext.BaseDirectory, "models");
        for (var dir = new DirectoryInfo(Environment.CurrentDirectory); dir is not null; dir = dir.Parent)
            yield return Path.Combine(dir.FullName, "models");
    }

    /// <summary>Every pack the program can see, by name (first found wins).</summary>
    public static IReadOnlyList<string> Discover()
    {
        var found = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (string folder in SearchFolders().Where(System.IO.Directory.Exists))
        {
            foreach (string manifest in System.IO.Directory.EnumerateFiles(folder, ManifestFileName, SearchOption.AllDirectories))
                found.TryAdd(Path.GetFileName(Path.GetDirectoryName(manifest)!), manifest);
        }

        return [.. found.Values];
    }

    /// <summary>Finds a pack by name, folder or manifest path; null means the default pack.</summary>
    public static ModelPack Find(string? nameOrPath = null)
    {
        nameOrPath ??= Environment.GetEnvironmentVariable(DefaultPackVariable) is { Length: > 0 } env ? env : DefaultPackName;
        if (File.Exists(nameOrPath) || System.IO.Directory.Exists(nameOrPath)) return Load(nameOrPath);
        foreach (string folder in SearchFolders())
        {
            string candidate = Path.Combine(folder, nameOrPath);
            if (File.Exists(Path.Combine(candidate, ManifestFileName))) return Load(candidate);
        }
        throw new FileNotFoundException($"Model pack '{nameOrPath}' not found. Looked in: {string.Join(", ", SearchFolders().Distinct())}. " +
            "Pass a pack folder or pack.json path, or see README 'Model packs'.");
    }

    /// <summary>JSON settings of manifests.</summary>
    public static JsonSerializerOptions JsonOptions { get; } = new() { WriteIndented = true, ReadCommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true, UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow };
}
