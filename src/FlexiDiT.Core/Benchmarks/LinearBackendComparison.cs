using System.Diagnostics;
using FlexiDiT.Engine;
using FlexiDiT.Models;
using static TorchSharp.torch;

namespace FlexiDiT.Benchmarks;

/// <summary>
/// Times a DiT's float32 forward with the linear layers' products in libtorch and in OpenBLAS, alternating forward by
/// forward in one process, so a machine whose speed drifts still gives a fair ratio (whole runs apart did not here).
/// </summary>
public static class LinearBackendComparison
{
    /// <summary>Runs the comparison at every patch size of <paramref name="config"/> (a weak one 2× the original is added).</summary>
    /// <param name="config">The architecture (random weights).</param>
    /// <param name="batch">Images per forward.</param>
    /// <param name="rounds">Timed rounds per patch size, after two untimed forwards per backend.</param>
    /// <returns>One timing per patch size.</returns>
    /// <exception cref="InvalidOperationException">OpenBLAS is not installed.</exception>
    /// <remarks>It switches the process-wide <see cref="CpuLinear.Backend"/> and restores it at the end: run nothing else meanwhile.</remarks>
    public static IReadOnlyList<LinearBackendTiming> Run(DiTConfig config, int batch, int rounds)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rounds, 1);
        if (!OpenBlas.IsAvailable) throw new InvalidOperationException(OpenBlas.NotInstalledMessage);
        var before = CpuLinear.Backend;
        try
        {
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

                LinearBackend[] backends = [LinearBackend.Torch, LinearBackend.OpenBlas];
                foreach (var backend in backends.Concat(backends)) Forward(backend);
                var torchMs = new List<double>();
                var openBlasMs = new List<double>();
                for (var round = 0; round < rounds; round++)
                {
                    // Alternate which goes first, so neither always follows the other's cache state.
                    foreach (var backend in round % 2 == 0 ? backends : backends.Reverse())
                        (backend == LinearBackend.Torch ? torchMs : openBlasMs).Add(Forward(backend));
                }

                var tokens = (config.InputSize / patch) * (config.InputSize / patch);
                results.Add(new LinearBackendTiming(patch, tokens, ForwardBenchmark.Median(torchMs), ForwardBenchmark.Median(openBlasMs), ForwardBenchmark.Median(torchMs.Zip(openBlasMs, (a, b) => a / b)), rounds));
            }

            return results;
        }
        finally
        {
            CpuLinear.Backend = before;
        }
    }
}
