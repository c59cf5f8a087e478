using static TorchSharp.torch;

namespace FlexiDiT.TextEncoders;

/// <summary>How a T5 encoder is loaded and how prompts are cut (PixArt-α's defaults).</summary>
public sealed class T5EncoderOptions
{
    /// <summary>PixArt-α's caption length: prompts are cut or padded to 120 tokens.</summary>
    public const int PixArtMaxLength = 120;

    /// <summary>
    /// Holds the weights in bfloat16 (half the memory: about 9.5 GB instead of 19 GB for t5-v1_1-xxl); norms and
    /// softmax still run in float32. Worth it on GPUs and on CPUs with native bfloat16 (AVX512-BF16, AMX);
    /// elsewhere libtorch emulates it, many times slower (see <see cref="Platform.NativeBFloat16"/>).
    /// </summary>
    public bool BFloat16 { get; set; }

    /// <summary>Where the weights go after loading (default: the CPU).</summary>
    public Device? Device { get; set; }

    /// <summary>Tokens per prompt, <c>&lt;/s&gt;</c> and padding included (PixArt-α: 120).</summary>
    public int MaxLength { get; set; } = PixArtMaxLength;

    /// <summary>Prompts encoded at once, for the memory estimate (2: a prompt and its negative for guidance).</summary>
    public int BatchSize { get; set; } = 2;

    /// <summary>Memory to plan with instead of what the machine reports (<see cref="Platform.MachineMemory.AvailableBytes"/>); null: the machine's.</summary>
    public long? AvailableMemoryBytes { get; set; }

    /// <summary>The weights' type: bfloat16 when <see cref="BFloat16"/>, otherwise float32.</summary>
    public ScalarType WeightType => BFloat16 ? ScalarType.BFloat16 : ScalarType.Float32;

    /// <summary>Checks the numbers and names the one that is wrong.</summary>
    /// <exception cref="ArgumentOutOfRangeException">A count is not positive.</exception>
    public void Validate()
    {
        if (MaxLength < 1) throw new ArgumentOutOfRangeException(nameof(MaxLength), MaxLength, "MaxLength must be at least 1 (room for </s>).");
        if (BatchSize < 1) throw new ArgumentOutOfRangeException(nameof(BatchSize), BatchSize, "BatchSize must be positive.");
        if (AvailableMemoryBytes is < 0) throw new ArgumentOutOfRangeException(nameof(AvailableMemoryBytes), AvailableMemoryBytes, "AvailableMemoryBytes cannot be negative.");
    }
}
