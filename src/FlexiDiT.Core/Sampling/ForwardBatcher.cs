using System.Diagnostics;
using FlexiDiT.Models;
using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>Runs a set of forward requests with one batched model call per patch size.</summary>
public static class ForwardBatcher
{
    /// <summary>Evaluates <paramref name="requests"/>; the outputs come back in the same order.</summary>
    public static Tensor[] Run(IDenoiser model, IReadOnlyList<ForwardRequest> requests, Action<ForwardObservation>? observe = null)
    {
        var outputs = new Tensor[requests.Count];
        foreach (var group in requests.Select((r, i) => (r, i)).GroupBy(p => p.r.PatchSize))
        {
            var members = group.ToList();
            var watch = Stopwatch.StartNew();
            if (members.Count == 1)
            {
                var (r, i) = members[0];
                using (ForwardThreads.For(model.Device, model.Geometry.Flops(r.PatchSize, r.X.shape[0])))
                {
                    outputs[i] = model.Forward(r.X, r.T, r.Condition, r.PatchSize);
                }
                observe?.Invoke(new ForwardObservation(group.Key, (int)r.X.shape[0], watch.Elapsed.TotalMilliseconds));
                continue;
            }
            Tensor output;
            using (ForwardThreads.For(model.Device, model.Geometry.Flops(group.Key, members.Sum(m => m.r.X.shape[0]))))
            {
                output = model.Forward(
                    cat(members.Select(m => m.r.X).ToArray(), 0),
                    cat(members.Select(m => m.r.T).ToArray(), 0),
                    ModelCondition.Concat(members.Select(m => m.r.Condition).ToList()),
                    group.Key);
            }
            observe?.Invoke(new ForwardObservation(group.Key, (int)output.shape[0], watch.Elapsed.TotalMilliseconds));
            long offset = 0;
            foreach (var (r, i) in members)
            {
                long n = r.X.shape[0];
                outputs[i] = output.narrow(0, offset, n);
                offset += n;
            }
        }
        return outputs;
    }
}
