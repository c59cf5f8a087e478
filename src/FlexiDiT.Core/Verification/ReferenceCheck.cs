using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using FlexiDiT.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Verification;

/// <summary>The error of one reference vector group.</summary>
/// <param name="Group">Group name (<c>forward</c>, <c>cfg</c>, <c>ddpm10</c>, ...).</param>
/// <param name="MaxAbsError">Largest absolute difference.</param>
/// <param name="RelativeError">Largest absolute difference divided by max |reference|.</param>
/// <param name="Tolerance">The relative tolerance of this kind of group.</param>
public sealed record GroupError(string Group, double MaxAbsError, double RelativeError, double Tolerance)
{
    /// <summary>Whether the group is within tolerance.</summary>
    public bool Passed => RelativeError <= Tolerance;
}

/// <summary>
/// Replays the official DiT code's reference vectors (layout of <c>shared/reference/README.md</c>) through
/// this engine: the model forward, guided forward, and DDPM / DDIM sampling loops with replayed noise.
/// </summary>
public static class ReferenceCheck
{
    /// <summary>Relative tolerance of single forwards: float32 round-off.</summary>
    public const double ForwardTolerance = 1e-4;
    /// <summary>Relative tolerance of sampling loops (round-off accumulates over steps).</summary>
    public const double SamplingTolerance = 1e-3;

    /// <summary>Runs every group present in <paramref name="vectorsPath"/>.</summary>
    public static IReadOnlyList<GroupError> Run(DiT model, string vectorsPath, double cfgScale)
    {
        var vectors = SafetensorsFile.Read(vectorsPath);
        var results = new List<GroupError>();
        using var _ = torch.inference_mode();
        foreach (string group in vectors.Keys.Select(k => k[..k.IndexOf('.')]).Distinct().OrderBy(g => g, StringComparer.Ordinal))
        {
            Tensor V(string name) => vectors.TryGetValue($"{group}.{name}", out var t) ? t
                : throw new InvalidDataException($"Reference vectors {vectorsPath}: group '{group}' has no '{group}.{name}'.");
            if (group == "forward")
            {
                results.Add(Compare(group, model.Forward(V("x"), V("t"), V("y")), V("out"), ForwardTolerance));
            }
            else if (group == "cfg")
            {
                results.Add(Compare(group, ForwardWithCfg(model, V("x"), V("t"), V("y"), cfgScale), V("out"), ForwardTolerance));
            }
            else if (group.StartsWith("ddpm", StringComparison.Ordinal) || group.StartsWith("ddim", StringComparison.Ordinal))
            {
                bool ddim = group.StartsWith("ddim", StringComparison.Ordinal);
                int[] map = V("timestep_map").data<long>().Select(v => (int)v).ToArray();
                string respacing = RespacingOf(map, group);
                bool clip = group.EndsWith("clip", StringComparison.Ordinal);
                bool guided = !ddim && model.Config.HasNullClass;
                var config = model.Config;
                var plan = ComputePlan.Full(group, respacing, config.PatchSize, guided ? cfgScale : 1.0, ddim ? SolverKind.Ddim : SolverKind.Ddpm)
                    with { GuideFirstThreeChannelsOnly = true, ClipDenoised = clip };
                var noise = new ReplayedNoise(V("z"), ddim ? null : V("noise"));
                var labels = V("y").data<long>().ToArray();
                var result = new Sampler(model).Sample(plan, labels, noise);
                results.Add(Compare(group, result.Samples, V("sample"), SamplingTolerance));
                if (vectors.TryGetValue($"{group}.betas", out var betas))
                {
                    var ours = tensor(new GaussianDiffusion(respacing).Betas.ToArray());
                    results.Add(Compare(group + ".betas", ours, betas.to(float64), ForwardTolerance));
                }
            }
        }
        return results;
    }

    /// <summary>The official <c>forward_with_cfg</c>: the batch's first half, guided on channels [0, 3).</summary>
    public static Tensor ForwardWithCfg(DiT model, Tensor x, Tensor t, Tensor y, double cfgScale)
    {
        long half = x.shape[0] / 2;
        var first = x.narrow(0, 0, half);
        var output = model.Forward(cat([first, first], 0), t, y);
        var cond = output.narrow(0, 0, half);
        var uncond = output.narrow(0, half, half);
        var guided = Guidance.Combine(cond, uncond, cfgScale, 3).narrow(1, 0, 3);
        var rest = output.narrow(1, 3, output.shape[1] - 3);
        return cat([cat([guided, guided], 0), rest], 1);
    }

    /// <summary>The respacing string that produces <paramref name="map"/> ("N" striding or "ddimN").</summary>
    public static string RespacingOf(int[] map, string group)
    {
        foreach (string candidate in new[] { map.Length.ToString(), "ddim" + map.Length })
        {
            try
            {
                if (Respacing.Timesteps(GaussianDiffusion.TrainingTimesteps, candidate).SequenceEqual(map)) return candidate;
            }
            catch (ArgumentException)
            {
                // "ddimN" has no integer stride for this N: not the one.
            }
        }
        throw new InvalidDataException($"Reference group '{group}': its timestep_map [{string.Join(", ", map.Take(6))}, ...] is neither \"{map.Length}\" nor \"ddim{map.Length}\" respacing.");
    }

    /// <summary>Loads the cfg scale from a reference config JSON (default 4).</summary>
    public static double CfgScaleOf(string? configPath)
    {
        if (configPath is null) return 4.0;
        using var doc = JsonDocument.Parse(File.ReadAllText(configPath));
        return doc.RootElement.TryGetProperty("cfg_scale", out var s) ? s.GetDouble() : 4.0;
    }

    /// <summary>Max abs error of <paramref name="actual"/> against <paramref name="expected"/>, and that over max |expected|.</summary>
    /// <exception cref="InvalidDataException">The shapes differ.</exception>
    public static GroupError Compare(string group, Tensor actual, Tensor expected, double tolerance)
    {
        if (!actual.shape.SequenceEqual(expected.shape))
            throw new InvalidDataException($"Reference group '{group}': output shape [{string.Join(", ", actual.shape)}] differs from the reference [{string.Join(", ", expected.shape)}].");
        var diff = (actual.to(float64) - expected.to(float64)).abs().max().item<double>();
        var scale = expected.to(float64).abs().max().item<double>();
        return new GroupError(group, diff, diff / Math.Max(scale, 1e-12), tolerance);
    }
}
