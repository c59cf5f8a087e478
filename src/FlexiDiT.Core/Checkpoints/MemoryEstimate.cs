using System.Globalization;
using FlexiDiT.Platform;

namespace FlexiDiT.Checkpoints;

/// <summary>
/// How much memory loading and running a checkpoint will take on the CPU, worked out before loading it from
/// its tensor shapes alone (<see cref="CheckpointShapes"/>). Every element counts 4 bytes (float32 on the CPU,
/// whatever the file stores). All figures are rough upper bounds meant to refuse hopeless loads with a clear
/// message. Model families that know their activations estimate themselves (<see cref="DiTMemoryEstimate"/>,
/// <c>VaeMemoryEstimate</c>, <c>T5Checkpoint.Estimate</c>); anything else counts its weights only.
/// </summary>
/// <param name="ModelName">What the file holds, e.g. <c>DiT-XL/2</c> or <c>Stable Diffusion VAE</c>.</param>
/// <param name="FileTensorBytes">Float32 bytes of the tensors the reader materialises (a training checkpoint's optimizer state included).</param>
/// <param name="ModelBytes">Float32 bytes of the model's own parameters.</param>
/// <param name="ActivationBytes">Activations of one forward of <paramref name="BatchSize"/> inputs; 0 when the model is not recognised.</param>
/// <param name="BatchSize">The forward batch the activations are for (with guidance, twice the images).</param>
public sealed record MemoryEstimate(string ModelName, long FileTensorBytes, long ModelBytes, long ActivationBytes, int BatchSize)
{
    /// <summary>The type the weights are held in, named in messages (float32 unless a loader converts them).</summary>
    public string Precision { get; init; } = "float32";

    /// <summary>libtorch's own allocations and allocator slack, added to every estimate.</summary>
    public const long RuntimeOverheadBytes = 256L << 20;

    /// <summary>Peak while loading: the loaders hold the file's tensors and the model's parameters at once.</summary>
    public long LoadBytes => FileTensorBytes + ModelBytes;

    /// <summary>Peak while running: parameters plus one forward's activations.</summary>
    public long RunBytes => ModelBytes + ActivationBytes;

    /// <summary>What must be available: the larger peak plus <see cref="RuntimeOverheadBytes"/>.</summary>
    public long RequiredBytes => Math.Max(LoadBytes, RunBytes) + RuntimeOverheadBytes;

    /// <summary>Estimates the checkpoint at <paramref name="path"/> from its header alone, counting its weights only.</summary>
    /// <param name="path">A <c>.safetensors</c> file or a <c>torch.save</c> zip (<c>.pt</c>, <c>.pth</c>, <c>.bin</c>, <c>.ckpt</c>).</param>
    /// <param name="batchSize">The forward batch named in the estimate.</param>
    public static MemoryEstimate ForCheckpoint(string path, int batchSize = 1) => ForCheckpoint(path, batchSize, recognise: null);

    /// <summary>
    /// Estimates <paramref name="path"/> from its shapes with <paramref name="recognise"/> (shapes, whether the
    /// reader loads every tensor, the file name → an estimate, or null when the file is not what it knows);
    /// unrecognised files count their weights only.
    /// </summary>
    internal static MemoryEstimate ForCheckpoint(string path, int batchSize,
        Func<IReadOnlyDictionary<string, long[]>, bool, string, MemoryEstimate?>? recognise)
    {
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        if (!File.Exists(path)) throw new FileNotFoundException($"Checkpoint not found: {path}", path);
        var shapes = CheckpointShapes.Read(path, out bool readsEverything);
        string fallbackName = Path.GetFileName(path);
        if (shapes is null)
        {
            // A zip whose pickle this scanner does not follow: its storages' stored bytes, taken as float32.
            long bytes = CheckpointShapes.StoredBytes(path);
            return new MemoryEstimate(fallbackName, bytes, bytes, 0, batchSize);
        }
        return recognise?.Invoke(shapes, readsEverything, fallbackName) ?? FromShapes(shapes, batchSize, fallbackName);
    }

    /// <summary>Estimates from tensor shapes (name → shape), counting the weights only.</summary>
    /// <param name="shapes">Every tensor in the file, nested keys joined with '.'.</param>
    /// <param name="batchSize">The forward batch named in the estimate.</param>
    /// <param name="name">What the file holds, named in messages.</param>
    public static MemoryEstimate FromShapes(IReadOnlyDictionary<string, long[]> shapes, int batchSize = 1, string name = "checkpoint")
    {
        ArgumentNullException.ThrowIfNull(shapes);
        if (batchSize <= 0) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "The batch size must be positive.");
        long all = FloatBytes(shapes.Values);
        return new MemoryEstimate(name, all, all, 0, batchSize);
    }

    /// <summary>Throws when <see cref="RequiredBytes"/> exceeds <paramref name="availableBytes"/> (default: <see cref="MachineMemory.AvailableBytes"/>).</summary>
    /// <exception cref="InsufficientMemoryException">The model will not fit; the message says by how much and what to do.</exception>
    public void EnsureFits(long? availableBytes = null)
    {
        long available = availableBytes ?? MachineMemory.AvailableBytes();
        if (RequiredBytes <= available) return;
        string activations = ActivationBytes > 0 ? $"activations for batch {BatchSize}: {Format(ActivationBytes)}; " : "activations not estimated; ";
        throw new InsufficientMemoryException(
            $"{ModelName} needs about {Format(RequiredBytes)} to load in {Precision} but only {Format(available)} is available; " +
            "close other programs, lower the batch size, or use a machine with more memory " +
            $"(weights {Format(ModelBytes)}, file tensors {Format(FileTensorBytes)}, both held while loading; {activations}runtime {Format(RuntimeOverheadBytes)}).");
    }

    /// <summary>Bytes as "2.9 GB" / "350 MB" (decimal units).</summary>
    public static string Format(long bytes) => bytes >= 1_000_000_000
        ? (bytes / 1e9).ToString("0.0", CultureInfo.InvariantCulture) + " GB"
        : (bytes / 1e6).ToString("0", CultureInfo.InvariantCulture) + " MB";

    /// <summary>Float32 bytes of tensors of <paramref name="shapes"/>.</summary>
    internal static long FloatBytes(IEnumerable<long[]> shapes) =>
        shapes.Sum(s => s.Aggregate(4L, (acc, d) => checked(acc * d)));
}
