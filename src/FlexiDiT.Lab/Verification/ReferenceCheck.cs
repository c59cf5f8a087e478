using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using FlexiDiT.Sampling;
using TorchSharp;
using static TorchSharp.torch;

namespace FlexiDiT.Verification;

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
    /// <summary>
    /// Relative tolerance of a bfloat16 forward against the float32 reference: bfloat16 keeps 8 significant bits (a
    /// relative step of 2⁻⁸ ≈ 3.9e-3 per rounding), and the roundings of weights, activations and every block's residual add up.
    /// </summary>
    public const double BFloat16ForwardTolerance = 3e-2;

    /// <summary>
    /// The <c>forward</c> group of <paramref name="vectorsPath"/> run by <paramref name="model"/> in its own precision
    /// (convert it first, e.g. to bfloat16), against the float32 reference with that precision's tolerance.
    /// </summary>
    public static GroupError ForwardInModelPrecision(DiT model, string vectorsPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ForwardInPrecision(model.parameters().First().dtype, vectorsPath, V => model.Forward(V("x"), V("t"), V("y")));
    }

    /// <summary>The PixArt-α <c>forward</c> group (with its caption mask) in the model's own precision; see the DiT overload.</summary>
    public static GroupError ForwardInModelPrecision(PixArt model, string vectorsPath)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ForwardInPrecision(model.parameters().First().dtype, vectorsPath, V => model.Forward(V("x"), V("t"), V("y"), V("mask")));
    }

    // The model takes and returns float32 whatever its own type; the tolerance is its type's.
    private static GroupError ForwardInPrecision(ScalarType dtype, string vectorsPath, Func<Func<string, Tensor>, Tensor> forward)
    {
        var vectors = SafetensorsFile.Read(vectorsPath);
        Tensor V(string name) => vectors.TryGetValue($"forward.{name}", out var t) ? t
            : throw new InvalidDataException($"Reference vectors {vectorsPath}: no 'forward.{name}'.");
        using var _ = torch.inference_mode();
        return Compare("forward", forward(V), V("out"), dtype == ScalarType.BFloat16 ? BFloat16ForwardTolerance : ForwardTolerance);
    }

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
                bool guided = !group.StartsWith("ddim", StringComparison.Ordinal) && model.Config.HasNullClass;
                using var labels = new ClassCondition(V("y"));
                results.AddRange(SamplingGroup(model, group, V, vectors, labels, guided, cfgScale));
            }
        }
        return results;
    }

    /// <summary>
    /// Replays the PixArt-α vectors: <c>forward</c> (masked and <c>out_nomask</c>), <c>cfg</c>, DDPM and DDIM loops.
    /// Groups that need the learned null caption are reported not runnable when the weights have none (diffusers files).
    /// </summary>
    public static IReadOnlyList<GroupError> Run(PixArt model, string vectorsPath, double cfgScale)
    {
        var vectors = SafetensorsFile.Read(vectorsPath);
        var results = new List<GroupError>();
        using var _ = torch.inference_mode();
        const string noNullCaption = "not runnable from the diffusers file (no y_embedding)";
        foreach (string group in vectors.Keys.Select(k => k[..k.IndexOf('.')]).Distinct().OrderBy(g => g, StringComparer.Ordinal))
        {
            Tensor V(string name) => vectors.TryGetValue($"{group}.{name}", out var t) ? t
                : throw new InvalidDataException($"Reference vectors {vectorsPath}: group '{group}' has no '{group}.{name}'.");
            if (group == "forward")
            {
                results.Add(Compare(group, model.Forward(V("x"), V("t"), V("y"), V("mask")), V("out"), ForwardTolerance));
                if (vectors.TryGetValue("forward.out_nomask", out var noMask))
                    results.Add(Compare("forward.nomask", model.Forward(V("x"), V("t"), V("y")), noMask, ForwardTolerance));
            }
            else if (group == "cfg")
            {
                // cfg.y already holds [captions; null_y]; the model tiles the prompts' mask over both halves.
                results.Add(Compare(group, ForwardWithCfg(x => model.Forward(x, V("t"), V("y"), V("mask")), V("x"), cfgScale), V("out"), ForwardTolerance));
            }
            else if (group.StartsWith("ddpm", StringComparison.Ordinal) || group.StartsWith("ddim", StringComparison.Ordinal))
            {
                bool guided = !group.StartsWith("ddim", StringComparison.Ordinal) && model.Config.ClassDropoutProb > 0;
                if (guided && model.NullCaption is null)
                {
                    results.Add(GroupError.Skipped(group, noNullCaption));
                    continue;
                }
                using var captions = new CaptionCondition(V("y").squeeze(1), V("mask"));
                results.AddRange(SamplingGroup(model, group, V, vectors, captions, guided, cfgScale));
            }
            else if (group.StartsWith("dpms", StringComparison.Ordinal))
            {
                // scripts/inference.py's DPM-Solver++: guidance on every ε channel with the null caption, fractional model time.
                bool guided = model.Config.ClassDropoutProb > 0;
                if (guided && model.NullCaption is null)
                {
                    results.Add(GroupError.Skipped(group, noNullCaption));
                    continue;
                }
                var modelTimes = V("model_t");
                int steps = (int)modelTimes.shape[0];
                using (var solver = new DpmSolverPlusPlus(NoiseScheduleVP.Linear(), steps))
                    results.Add(Compare(group + ".model_t", tensor(solver.ModelTimes.ToArray()), modelTimes, ForwardTolerance));
                var plan = ComputePlan.Full(group, steps.ToString(System.Globalization.CultureInfo.InvariantCulture), model.Config.PatchSize, guided ? cfgScale : 1.0, SolverKind.DpmSolverPlusPlus);
                using var captions = new CaptionCondition(V("y").squeeze(1), V("mask"));
                var result = new Sampler(model).Sample(plan, captions, new ReplayedNoise(V("z"), null));
                results.Add(Compare(group, result.Samples, V("sample"), SamplingTolerance));
            }
        }
        return results;
    }

    // A DDPM or DDIM loop of the official sampler, replayed through this engine's Sampler with its recorded noise.
    private static IEnumerable<GroupError> SamplingGroup(IDenoiser model, string group, Func<string, Tensor> V, IReadOnlyDictionary<string, Tensor> vectors, ModelCondition condition, bool guided, double cfgScale)
    {
        bool ddim = group.StartsWith("ddim", StringComparison.Ordinal);
        int[] map = V("timestep_map").data<long>().Select(v => (int)v).ToArray();
        string respacing = RespacingOf(map, group);
        bool clip = group.EndsWith("clip", StringComparison.Ordinal);
        var plan = ComputePlan.Full(group, respacing, model.Geometry.PatchSize, guided ? cfgScale : 1.0, ddim ? SolverKind.Ddim : SolverKind.Ddpm)
            with { GuideFirstThreeChannelsOnly = true, ClipDenoised = clip };
        var noise = new ReplayedNoise(V("z"), ddim ? null : V("noise"));
        var result = new Sampler(model).Sample(plan, condition, noise);
        yield return Compare(group, result.Samples, V("sample"), SamplingTolerance);
        if (vectors.TryGetValue($"{group}.betas", out var betas))
        {
            var ours = tensor(new GaussianDiffusion(respacing).Betas.ToArray());
            yield return Compare(group + ".betas", ours, betas.to(float64), ForwardTolerance);
        }
    }

    /// <summary>The official DiT <c>forward_with_cfg</c>: the batch's first half, guided on channels [0, 3).</summary>
    public static Tensor ForwardWithCfg(DiT model, Tensor x, Tensor t, Tensor y, double cfgScale)
    {
        ArgumentNullException.ThrowIfNull(model);
        return ForwardWithCfg(doubled => model.Forward(doubled, t, y), x, cfgScale);
    }

    /// <summary>
    /// The official <c>forward_with_cfg</c> (DiT and PixArt-α alike): the model runs on [x₀; x₀] (the batch's first half
    /// twice), channels [0, 3) of both halves become the guided ones, the rest keep each half's own.
    /// </summary>
    public static Tensor ForwardWithCfg(Func<Tensor, Tensor> model, Tensor x, double cfgScale)
    {
        ArgumentNullException.ThrowIfNull(model);
        long half = x.shape[0] / 2;
        var first = x.narrow(0, 0, half);
        var output = model(cat([first, first], 0));
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
