using System.Diagnostics;
using FlexiDiT.Engine;
using FlexiDiT.Models;
using static TorchSharp.torch;

namespace FlexiDiT.Benchmarks;

/// <summary>
/// Times a DiT's float32 forward with the linear layers' products done by each backend this machine has (libtorch,
/// OpenBLAS, the packed kernel), alternating forward by forward in one process, so a machine whose speed drifts still
/// gives fair ratios (whole runs apart did not here).
/// </summary>
public static class LinearBackendComparison
{
    /// <summary>Gets the backends this machine can run, libtorch first: OpenBLAS where installed, the packed kernel where the CPU has AVX2 and FMA.</summary>
    public static IReadOnlyList<LinearBackend> Available =>
        [LinearBackend.Torch, .. OpenBlas.IsAvailable ? [LinearBackend.OpenBlas] : Array.Empty<LinearBackend>(), .. PackedGemm.IsSupported ? [LinearBackend.Packed] : Array.Empty<LinearBackend>()];

    /// <summary>Runs the comparison at every patch size of <paramref name="config"/> (a weak one 2× the original is added).</summary>
    /// <param name="config">The architecture (random weights).</param>
    /// <param name="batch">Images per forward.</param>
    /// <param name="rounds">Timed rounds per patch size, after two untimed forwards per backend.</param>
    /// <returns>One timing per patch size and backend of <see cref="Available"/>.</returns>
    /// <exception cref="InvalidOperationException">Only libtorch is available: there is nothing to compare.</exception>
    /// <remarks>It switches the process-wide <see cref="CpuLinear.Backend"/> and restores it at the end: run nothing else meanwhile.</remarks>
    public static IReadOnlyList<LinearBackendTiming> Run(DiTConfig config, int batch, int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        var backends = Available;
        if (backends.Count < 2)
            throw new InvalidOperationException($"Only libtorch multiplies here: the packed kernel needs AVX2 and FMA, and {OpenBlas.NotInstalledMessage}");
        var before = CpuLinear.Backend;
        try
        {
            // Where the packed kernel is among them, the model is frozen while it is in force, so its weights are packed as
            // a pack's would be (the other backends ignore the packed copies).
            if (backends.Contains(LinearBackend.Packed)) CpuLinear.Backend = LinearBackend.Packed;
            using var model = ForwardBenchmark.RandomModel(config, ScalarType.Float32, CPU);
            using var inference = inference_mode();
            var x = randn(batch, config.InChannels, config.InputSize, config.InputSize);
            var t = randint(0, 1000, [batch]);
            var y = randint(0, config.NumClasses, [batch]);
            var results = new List<LinearBackendTiming>();
            foreach (var patch in model.Config.AllPatchSizes)
            {
                double Forward(LinearBackend backend)
                {
                    CpuLinear.Backend = backend;
                    using var scope = NewDisposeScope();
                    var watch = Stopwatch.StartNew();
                    model.Forward(x, t, y, patch);
                    return watch.Elapsed.TotalMilliseconds;
                }

                foreach (var backend in backends.Concat(backends)) Forward(backend);
                var ms = backends.ToDictionary(b => b, _ => new List<double>());
                for (var round = 0; round < rounds; round++)
                {
                    // Rotate which goes first, so none always follows the same one's cache state.
                    for (var i = 0; i < backends.Count; i++)
                    {
                        var backend = backends[(round + i) % backends.Count];
                        ms[backend].Add(Forward(backend));
                    }
                }

                var tokens = (config.InputSize / patch) * (config.InputSize / patch);
                var torchMs = ms[LinearBackend.Torch];
                results.AddRange(backends.Select(b => new LinearBackendTiming(patch, tokens, CpuLinear.Name(b), ForwardBenchmark.Median(ms[b]),
                    ForwardBenchmark.Median(torchMs.Zip(ms[b], (torch, other) => torch / other)), rounds)));
            }

            return results;
        }
        finally
        {
            CpuLinear.Backend = before;
        }
    }
}
