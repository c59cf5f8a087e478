using System.Text.Json;
using FlexiDiT.Checkpoints;
using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Models;
using FlexiDiT.Packs;
using FlexiDiT.Sampling;

namespace FlexiDiT.Extensions.AI.Internal;

/// <summary>
/// A pack's plans as the governance sees them (a <see cref="PlanTable"/>: FLOPs, forwards, quality) and as the engine
/// runs them (<see cref="PlanSpec"/> by name).
/// </summary>
internal sealed class PackPlans
{
    private readonly Dictionary<string, PlanSpec> specs;

    private PackPlans(PlanTable table, Dictionary<string, PlanSpec> specs)
    {
        Table = table;
        this.specs = specs;
    }

    public PlanTable Table { get; }

    public PlanSpec Spec(string name) =>
        specs.TryGetValue(name, out var spec)
            ? spec
            : throw new InvalidOperationException($"the plan table names plan '{name}', which neither the pack nor the table defines");

    /// <summary>
    /// The pack's measured plan table (<c>planTable</c>, written by <c>flexidit eval</c>) when it has one; otherwise a
    /// table computed from the pack's plans and the model's config, with FLOPs but no quality (such plans satisfy only
    /// the quality floor <c>none</c>, so quality-bound tasks are refused until the pack is evaluated).
    /// </summary>
    public static PackPlans Load(ModelPack pack, IDenoiserGeometry config)
    {
        var specs = new Dictionary<string, PlanSpec>(StringComparer.Ordinal);
        if (pack.Manifest.PlanTable is { } tablePath)
        {
            var path = pack.Resolve(tablePath);
            var table = PlanTable.Load(path);

            // 'flexidit eval' writes each row's full spec beside what the governance reads; the engine runs it. A pack
            // plan of the same name wins (it is what the pack documents).
            foreach (var plan in table.Plans)
            {
                if (plan.Spec is { } spec)
                {
                    specs[plan.Name] = spec.Deserialize<PlanSpec>()
                        ?? throw new InvalidDataException($"Model pack {pack.Name}: plan table {path} has an empty 'spec' for plan '{plan.Name}'.");
                }
            }

            foreach (var spec in pack.Manifest.Plans)
            {
                specs[spec.Name] = spec;
            }

            var missing = table.Plans.Select(p => p.Name).Where(n => !specs.ContainsKey(n)).ToList();
            if (missing.Count > 0)
            {
                throw new InvalidDataException($"Model pack {pack.Name}: plan table {path} lists {string.Join(", ", missing)} without a 'spec', and the pack defines no plan of that name.");
            }

            return new PackPlans(table, specs);
        }

        if (pack.Manifest.Plans.Count == 0)
        {
            throw new InvalidDataException($"Model pack {pack.Name} has neither 'plans' nor a 'planTable'; the generator has nothing to choose from.");
        }

        var rows = pack.Manifest.Plans.Select(spec => (Spec: spec, Plan: spec.Build(config))).ToList();
        double fullFlops = rows.Max(r => (double)SamplingRun.PlanFlops(config, r.Plan, 1));
        var entries = rows.Select(r =>
        {
            specs[r.Spec.Name] = r.Spec;
            double flops = SamplingRun.PlanFlops(config, r.Plan, 1);
            return new PlanEntry
            {
                Name = r.Spec.Name,
                Description = r.Spec.Describe(),
                Steps = r.Plan.Steps.Count,
                WeakSteps = r.Plan.WeakConditionalSteps(config.PatchSize),
                Forwards = r.Plan.ForwardsByPatch(),
                FlopsPerImage = flops,
                FlopsFraction = flops / fullFlops,
            };
        });
        return new PackPlans(new PlanTable(pack.Name, entries), specs);
    }

    /// <summary>The model's config without loading its weights where the pack allows (a config file or embedded metadata).</summary>
    public static IDenoiserGeometry ReadConfig(ModelPack pack)
    {
        if (pack.IsTextToImage)
        {
            return ReadPixArtConfig(pack);
        }

        return ReadDiTConfig(pack);
    }

    private static DiTConfig ReadDiTConfig(ModelPack pack)
    {
        if (pack.Manifest.Config is { } configPath)
        {
            return DiTConfig.Load(pack.Resolve(configPath));
        }

        if (DiTCheckpoint.ReadEmbeddedConfig(pack.CheckpointPath) is { } embedded)
        {
            return embedded;
        }

        // An official checkpoint without a config: its tensor shapes say what it is, read from the header, not the weights.
        if (DiTCheckpoint.ReadConfig(pack.CheckpointPath) is { } inferred)
        {
            return inferred;
        }

        // A torch.save zip whose pickle the header scan does not follow: only loading its weights says what it is.
        using var model = pack.LoadModel();
        return model.Config;
    }

    private static PixArtConfig ReadPixArtConfig(ModelPack pack)
    {
        if (pack.HasSceneEncoder)
        {
            return TextToImageCheckpoint.ReadConfig(pack.CheckpointPath).Denoiser;
        }

        if (pack.Manifest.Config is { } configPath)
        {
            return PixArtConfig.Load(pack.Resolve(configPath));
        }

        if (PixArtCheckpoint.ReadEmbeddedConfig(pack.CheckpointPath) is { } embedded)
        {
            return embedded;
        }

        // An official checkpoint without a config: its tensor shapes say what it is, read from the header, not the weights.
        if (PixArtCheckpoint.ReadConfig(pack.CheckpointPath) is { } inferred)
        {
            return inferred;
        }

        // A diffusers-layout file (its q, k and v are joined on loading) or a pickle the header scan does not follow.
        using var model = PixArtCheckpoint.Load(pack.CheckpointPath);
        return model.Config;
    }
}
