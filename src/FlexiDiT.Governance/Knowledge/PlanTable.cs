using System.Globalization;
using System.Text.Json;

namespace FlexiDiT.Governance.Knowledge;

/// <summary>
/// The engine's menu of sampling plans for one model, as written by <c>flexidit eval</c>.
/// </summary>
public sealed class PlanTable
{
    private readonly Dictionary<string, PlanEntry> byName;

    /// <summary>Initializes a new instance of the <see cref="PlanTable"/> class.</summary>
    /// <param name="model">The model the plans belong to, if known.</param>
    /// <param name="plans">The plans; names must be unique and at least one plan is required.</param>
    /// <exception cref="ArgumentException">The plans are empty or two share a name.</exception>
    public PlanTable(string? model, IEnumerable<PlanEntry> plans)
    {
        ArgumentNullException.ThrowIfNull(plans);
        var list = plans.ToList();
        if (list.Count == 0)
        {
            throw new ArgumentException("a plan table needs at least one plan", nameof(plans));
        }

        byName = new Dictionary<string, PlanEntry>(StringComparer.Ordinal);
        foreach (var plan in list)
        {
            ArgumentNullException.ThrowIfNull(plan, nameof(plans));
            if (!byName.TryAdd(plan.Name, plan))
            {
                throw new ArgumentException($"plan name '{plan.Name}' appears more than once", nameof(plans));
            }
        }

        Model = model;
        Plans = list;

        // Quality ratios are measured against the most expensive plan: that is what "full compute" means even
        // when the table does not contain a plan literally named "full".
        FullCompute = list.MaxBy(p => p.FlopsPerImage)!;
    }

    /// <summary>Gets the model the plans belong to, if known.</summary>
    public string? Model { get; }

    /// <summary>Gets the plans in file order.</summary>
    public IReadOnlyList<PlanEntry> Plans { get; }

    /// <summary>Gets the plan with the most FLOPs per image: the reference for Fréchet-distance ratios.</summary>
    public PlanEntry FullCompute { get; }

    /// <summary>
    /// The FLOPs <paramref name="plan"/>'s steps and guidance would cost with every forward at full compute's patch
    /// size, as a fraction of full compute: what its FlexiDiT saving is measured against (fewer steps or less guidance
    /// is a separate saving). <see langword="null"/> when full compute runs more than one patch size, so the FLOPs of
    /// one powerful forward are not known.
    /// </summary>
    /// <param name="plan">A plan of this table.</param>
    /// <returns>The fraction, or <see langword="null"/>.</returns>
    public double? SameStepsFlopsFraction(PlanEntry plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        if (FullCompute.Forwards.Count(f => f.Value > 0) != 1)
        {
            return null;
        }

        return FullCompute.FlopsFraction * plan.TotalForwards / FullCompute.TotalForwards;
    }

    /// <summary>Finds a plan by its exact name.</summary>
    /// <param name="name">The plan name.</param>
    /// <returns>The plan, or <see langword="null"/> when there is none of that name.</returns>
    public PlanEntry? Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return byName.GetValueOrDefault(name);
    }

    /// <summary>Loads and validates a plan table file.</summary>
    /// <param name="path">The JSON file written by <c>flexidit eval</c>.</param>
    /// <returns>The plan table.</returns>
    /// <exception cref="KnowledgeFileException">The file cannot be read, is not valid JSON, or fails validation.</exception>
    public static PlanTable Load(string path) => Parse(KnowledgeJson.ReadFile(path), path);

    /// <summary>Parses and validates a plan table from JSON text.</summary>
    /// <param name="json">The JSON text.</param>
    /// <param name="source">The name used in error messages, usually the file path.</param>
    /// <returns>The plan table.</returns>
    /// <exception cref="KnowledgeFileException">The text is not valid JSON or fails validation.</exception>
    public static PlanTable Parse(string json, string source = "plan table")
    {
        ArgumentNullException.ThrowIfNull(json);
        ArgumentException.ThrowIfNullOrWhiteSpace(source);

        var doc = KnowledgeJson.Deserialize<PlanTableJson>(json, source);
        if (doc.Plans is null || doc.Plans.Count == 0)
        {
            throw new KnowledgeFileException(source, "field 'plans' is missing or empty");
        }

        var plans = new List<PlanEntry>(doc.Plans.Count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < doc.Plans.Count; i++)
        {
            var plan = ToPlan(doc.Plans[i], i, source);
            if (!seen.Add(plan.Name))
            {
                throw new KnowledgeFileException(source, $"plans[{i}]: plan name '{plan.Name}' appears more than once");
            }

            plans.Add(plan);
        }

        return new PlanTable(doc.Model, plans);
    }

    private static PlanEntry ToPlan(PlanEntryJson? raw, int index, string source)
    {
        var where = $"plans[{index}]";
        if (raw is null)
        {
            throw new KnowledgeFileException(source, $"{where}: expected an object, got null");
        }

        if (string.IsNullOrWhiteSpace(raw.Name))
        {
            throw new KnowledgeFileException(source, $"{where}: field 'name' is missing or empty");
        }

        where = $"{where} ('{raw.Name}')";
        KnowledgeFileException Bad(string field, string rule, object? got) =>
            new(source, $"{where}: field '{field}' {rule} (got {Show(got)})");

        if (raw.Spec is { ValueKind: not (JsonValueKind.Object or JsonValueKind.Null) } spec)
        {
            throw Bad("spec", "must be null or an object (the plan spec 'flexidit eval' writes)", spec.ValueKind);
        }

        var steps = raw.Steps ?? throw Bad("steps", "is required", null);
        if (steps < 1)
        {
            throw Bad("steps", "must be a positive integer", steps);
        }

        var weakSteps = raw.WeakSteps ?? 0;
        if (weakSteps < 0 || weakSteps > steps)
        {
            throw Bad("weakSteps", $"must be between 0 and steps ({steps})", weakSteps);
        }

        if (raw.Forwards is null || raw.Forwards.Count == 0)
        {
            throw Bad("forwards", "must map patch sizes to forward counts", raw.Forwards is null ? null : "{}");
        }

        var forwards = new SortedDictionary<int, int>();
        foreach (var (key, count) in raw.Forwards)
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var patch) || patch < 1)
            {
                throw Bad("forwards", "keys must be positive integer patch sizes", $"\"{key}\"");
            }

            if (count < 0)
            {
                throw Bad($"forwards.{key}", "must be zero or more", count);
            }

            forwards[patch] = count;
        }

        if (forwards.Values.Sum() == 0)
        {
            throw Bad("forwards", "must count at least one forward pass", "all zero");
        }

        var flops = raw.FlopsPerImage ?? throw Bad("flopsPerImage", "is required", null);
        if (!KnowledgeJson.IsPositiveFinite(flops))
        {
            throw Bad("flopsPerImage", "must be a positive number", flops);
        }

        var fraction = raw.FlopsFraction ?? throw Bad("flopsFraction", "is required", null);
        if (!KnowledgeJson.IsPositiveFinite(fraction))
        {
            throw Bad("flopsFraction", "must be a positive number", fraction);
        }

        if (raw.FrechetDistance is { } fd && (!double.IsFinite(fd) || fd < 0))
        {
            throw Bad("frechetDistance", "must be null or a number of at least 0", fd);
        }

        CheckFraction("classAccuracy", raw.ClassAccuracy);
        CheckFraction("colorAccuracy", raw.ColorAccuracy);

        if (raw.MsPerImage is { } ms && !KnowledgeJson.IsPositiveFinite(ms))
        {
            throw Bad("msPerImage", "must be null or a positive number", ms);
        }

        return new PlanEntry
        {
            Name = raw.Name,
            Description = raw.Description,
            Spec = raw.Spec is { ValueKind: JsonValueKind.Object } objectSpec ? objectSpec : null,
            Steps = steps,
            WeakSteps = weakSteps,
            Forwards = forwards.AsReadOnly(),
            FlopsPerImage = flops,
            FlopsFraction = fraction,
            FrechetDistance = raw.FrechetDistance,
            ClassAccuracy = raw.ClassAccuracy,
            ColorAccuracy = raw.ColorAccuracy,
            MsPerImage = raw.MsPerImage,
        };

        void CheckFraction(string field, double? value)
        {
            if (value is { } v && (!double.IsFinite(v) || v < 0 || v > 1))
            {
                throw Bad(field, "must be null or a number between 0 and 1", v);
            }
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "nothing",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "nothing",
    };
}
