using FlexiDiT.Benchmarks;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace FlexiDiT.Cli.Benchmarks;

/// <summary>
/// ONNX Runtime running an exported official DiT (inputs <c>x</c> float (N, C, H, W), <c>t</c> and <c>y</c> int64 (N)), the
/// engine a .NET user would otherwise pick: the speed peer of <c>flexidit bench --peer</c>.
/// </summary>
internal sealed class OnnxPeer : IForwardPeer, IDisposable
{
    private readonly InferenceSession session;
    private readonly SessionOptions options;
    private readonly List<NamedOnnxValue> inputs;

    /// <summary>Loads <paramref name="path"/> for inputs of <paramref name="batch"/>×<paramref name="channels"/>×<paramref name="size"/>² at <paramref name="patchSize"/>.</summary>
    public OnnxPeer(string path, int patchSize, int batch, int channels, int size, int threads)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"--peer: no ONNX model at {path}.", path);
        // All graph optimisations, intra-op threads as many as libtorch uses: the settings a user tuning it would pick.
        options = new SessionOptions { GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL, IntraOpNumThreads = threads, InterOpNumThreads = 1 };
        session = new InferenceSession(path, options);
        foreach (var (name, expected) in new[] { ("x", $"{batch}×{channels}×{size}×{size}"), ("t", $"{batch}"), ("y", $"{batch}") })
        {
            if (!session.InputMetadata.TryGetValue(name, out var meta))
                throw new ArgumentException($"--peer: {path} has no input '{name}' (it has {string.Join(", ", session.InputMetadata.Keys)}); export the official DiT with inputs x, t, y.");
            var shape = string.Join("×", meta.Dimensions);
            if (meta.Dimensions.All(d => d > 0) && shape != expected)
                throw new ArgumentException($"--peer: input '{name}' of {path} is {shape}, the benchmark feeds {expected}; export it for this batch and latent size.");
        }

        PatchSize = patchSize;
        var random = new Random(0);
        var x = new DenseTensor<float>(Enumerable.Range(0, batch * channels * size * size).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray(), [batch, channels, size, size]);
        var t = new DenseTensor<long>(Enumerable.Range(0, batch).Select(i => (long)(i * 37 % 1000)).ToArray(), [batch]);
        var y = new DenseTensor<long>(Enumerable.Range(0, batch).Select(i => (long)(i * 11 % 1000)).ToArray(), [batch]);
        inputs = [NamedOnnxValue.CreateFromTensor("x", x), NamedOnnxValue.CreateFromTensor("t", t), NamedOnnxValue.CreateFromTensor("y", y)];
    }

    /// <inheritdoc />
    public string Engine => $"onnxruntime {typeof(InferenceSession).Assembly.GetName().Version?.ToString(3)}";

    /// <inheritdoc />
    public int PatchSize { get; }

    /// <inheritdoc />
    public void Forward()
    {
        using var outputs = session.Run(inputs);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        session.Dispose();
        options.Dispose();
    }
}
