using FlexiDiT.Diffusion;
using FlexiDiT.Models;
using static TorchSharp.torch;

namespace FlexiDiT.Sampling;

/// <summary>
/// One request's sampling, advanced one step at a time: it says which forwards the current step needs
/// (<see cref="PendingForwards"/>), and takes their outputs (<see cref="Complete"/>). Keeping the forwards
/// outside lets a scheduler batch the forwards of many runs that are at the same patch size. It works for any
/// <see cref="IDenoiser"/>: only the condition (class labels, captions) differs.
/// </summary>
public sealed class SamplingRun : IDisposable
{
    private readonly IDenoiserGeometry config;
    private readonly GaussianDiffusion diffusion;
    private readonly DpmSolverPlusPlus? dpmSolver;
    private readonly INoiseSource noise;
    private readonly ModelCondition condition;
    private readonly ModelCondition? guidanceCondition;
    private readonly HashSet<(int Patch, bool OnGuidanceCondition)> conditionsComputed = [];
    private Tensor x;

    /// <summary>Starts a run of <paramref name="plan"/> on a class-conditional DiT for the given class labels.</summary>
    public SamplingRun(DiTConfig config, ComputePlan plan, long[] classLabels, INoiseSource noise, Device device)
        : this(config, plan, (Labels(config, classLabels, device), NullLabels(config, classLabels.Length, device)), noise, device)
    {
    }

    /// <summary>
    /// Starts a run of <paramref name="plan"/> on <paramref name="model"/> for <paramref name="condition"/>; guidance uses
    /// the model's null condition for it (<see cref="IDenoiser.NullCondition"/>).
    /// </summary>
    public SamplingRun(IDenoiser model, ComputePlan plan, ModelCondition condition, INoiseSource noise)
        : this(Checked(model).Geometry, plan, Conditions(model, condition), noise, model.Device)
    {
    }

    private SamplingRun(IDenoiserGeometry config, ComputePlan plan, (ModelCondition Condition, ModelCondition? Guidance) conditions, INoiseSource noise, Device device)
    {
        var (condition, guidanceCondition) = conditions;
        ArgumentNullException.ThrowIfNull(plan);
        if (guidanceCondition is null && plan.Steps.Any(s => plan.IsGuided(s) && !s.GuidanceIsWeakConditional))
            throw new ArgumentException($"Plan '{plan.Name}' uses classifier-free guidance but the model has no null condition (no null class, or no null caption and no negative prompt); use a guidance scale of 1.");
        foreach (int p in plan.Steps.SelectMany(s => new[] { s.CondPatch, s.GuidancePatch }).Distinct())
        {
            if (!config.AllPatchSizes.Contains(p))
                throw new ArgumentException($"Plan '{plan.Name}' uses patch size {p}, but the model runs only {string.Join(", ", config.AllPatchSizes)}.");
        }
        if (plan.Variance == VarianceKind.LearnedRange && !config.LearnSigma)
            throw new ArgumentException($"Plan '{plan.Name}' asks for the learned variance, but the model does not learn sigma; use FixedLarge or FixedSmall, or leave 'variance' out.");
        this.config = config;
        Plan = plan;
        this.noise = noise;
        diffusion = new GaussianDiffusion(plan.Respacing, plan.Variance ?? config.Variance);
        if (diffusion.NumSteps != plan.Steps.Count)
            throw new ArgumentException($"Plan '{plan.Name}' lists {plan.Steps.Count} steps but respacing '{plan.Respacing}' has {diffusion.NumSteps}.");
        if (plan.Solver == SolverKind.DpmSolverPlusPlus)
        {
            if (!int.TryParse(plan.Respacing.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out _))
                throw new ArgumentException($"Plan '{plan.Name}' runs DPM-Solver++, whose respacing is its number of steps (like \"20\"); got '{plan.Respacing}'.");
            dpmSolver = new DpmSolverPlusPlus(NoiseScheduleVP.Linear(), plan.Steps.Count);
        }
        Count = (int)condition.Count;
        this.condition = condition;
        this.guidanceCondition = guidanceCondition;
        x = noise.Initial([Count, config.InChannels, config.InputSize, config.InputSize], device);
        // The run lives across steps, so its state must survive whatever dispose scope created it.
        condition.DetachFromDisposeScope();
        guidanceCondition?.DetachFromDisposeScope();
        x.DetachFromDisposeScope();
        // What the model computes from a condition alone is kept for the run's other steps (the plan's FLOPs count it once).
        condition.KeepModelCache();
        guidanceCondition?.KeepModelCache();
    }

    private static IDenoiser Checked(IDenoiser model) => model ?? throw new ArgumentNullException(nameof(model));

    // The run owns (and disposes) a copy of the caller's condition, and the guidance condition made from that copy.
    private static (ModelCondition, ModelCondition?) Conditions(IDenoiser model, ModelCondition condition)
    {
        ArgumentNullException.ThrowIfNull(condition);
        var owned = condition.CopyTo(model.Device);
        return (owned, model.NullCondition(owned));
    }

    private static ClassCondition Labels(DiTConfig config, long[] classLabels, Device device)
    {
        ArgumentNullException.ThrowIfNull(classLabels);
        if (classLabels.Length == 0) throw new ArgumentException("At least one class label is needed.", nameof(classLabels));
        config.ThrowIfNotClasses(classLabels, nameof(classLabels));
        return new ClassCondition(tensor(classLabels, device: device));
    }

    private static ClassCondition? NullLabels(DiTConfig config, int count, Device device) =>
        config.HasNullClass ? new ClassCondition(full(count, (long)config.NullClass, device: device)) : null;

    /// <summary>The plan being run.</summary>
    public ComputePlan Plan { get; }
    /// <summary>Number of images.</summary>
    public int Count { get; }
    /// <summary>Steps completed so far.</summary>
    public int StepsDone { get; private set; }
    /// <summary>Whether all steps are done.</summary>
    public bool IsDone => StepsDone == Plan.Steps.Count;
    /// <summary>The current latent; after the last step, the sample.</summary>
    public Tensor Current => x;
    /// <summary>FLOPs spent by this run's forwards so far (2 per multiply-add).</summary>
    public long FlopsSpent { get; private set; }
    /// <summary>
    /// The clean image x₀ that the last completed step predicted (null before the first step): where the run is
    /// heading, which is what a trace of the sampling shows. It belongs to the caller's dispose scope of that step.
    /// </summary>
    public Tensor? PredictedStart { get; private set; }
    /// <summary>The original (1000-step) timestep of the last completed step (DPM-Solver++'s fractional one, rounded).</summary>
    public long LastTimestep { get; private set; }
    /// <summary>Patch size of the current step's conditional branch.</summary>
    public int CurrentCondPatch => Plan.Steps[StepsDone].CondPatch;

    private long[] Indices => Enumerable.Repeat((long)(Plan.Steps.Count - 1 - StepsDone), Count).ToArray();

    /// <summary>The forwards the current step needs: the conditional one, then the guidance one if guided.</summary>
    public IReadOnlyList<ForwardRequest> PendingForwards()
    {
        if (IsDone) throw new InvalidOperationException("The run is finished.");
        var step = Plan.Steps[StepsDone];
        var t = dpmSolver?.ModelTimesteps(StepsDone, Count, x.device) ?? diffusion.ModelTimesteps(Indices, x.device);
        return Plan.Forwards(step).Select(f => new ForwardRequest(x, t, f.OnGuidanceCondition ? guidanceCondition! : condition, f.Patch)).ToList();
    }

    /// <summary>Takes the outputs of <see cref="PendingForwards"/> (same order) and advances one step.</summary>
    public void Complete(IReadOnlyList<Tensor> outputs)
    {
        var step = Plan.Steps[StepsDone];
        FlopsSpent += StepFlops(config, Plan, step, Count, conditionsComputed);
        var output = outputs[0];
        if (Plan.IsGuided(step))
        {
            output = Guidance.Combine(outputs[0], outputs[1], Plan.GuidanceScale, Plan.GuideFirstThreeChannelsOnly ? 3 : config.InChannels);
        }
        var shape = x.shape;
        var (next, predictedStart) = Plan.Solver switch
        {
            SolverKind.Ddpm => diffusion.DdpmStep(output, x, Indices, Plan.ClipDenoised, noise.Step(StepsDone, shape, x.device)),
            SolverKind.DpmSolverPlusPlus => dpmSolver!.Step(StepsDone, output, x, Plan.ClipDenoised),
            _ => diffusion.DdimStep(output, x, Indices, Plan.ClipDenoised, Plan.Eta, Plan.Eta > 0 ? noise.Step(StepsDone, shape, x.device) : null),
        };
        next.DetachFromDisposeScope();
        x.Dispose();
        x = next;
        LastTimestep = dpmSolver is null ? diffusion.TimestepMap[Plan.Steps.Count - 1 - StepsDone] : (long)Math.Round(dpmSolver.ModelTimes[StepsDone]);
        PredictedStart = predictedStart;
        StepsDone++;
        ReleaseFinishedBranches();
    }

    /// <summary>The run's own copy of the condition (tests look at what the model keeps in it).</summary>
    internal ModelCondition Condition => condition;

    // A weak-first plan's weak patch size ends for good: what the model kept for it is freed before the powerful steps
    // keep theirs, so a run holds one patch size's caption keys and values per branch at a time.
    private void ReleaseFinishedBranches()
    {
        var ahead = Plan.Steps.Skip(StepsDone).SelectMany(Plan.Forwards).ToHashSet();
        foreach (var finished in conditionsComputed.Where(f => !ahead.Contains(f)).ToList())
        {
            (finished.OnGuidanceCondition ? guidanceCondition : condition)?.ReleaseModelCache(finished.Patch);
            conditionsComputed.Remove(finished);
        }
    }

    /// <summary>FLOPs the same steps would cost with every branch at the powerful patch size.</summary>
    public long FullComputeFlops =>
        PlanFlops(config, Plan with { Steps = Plan.Steps.Select(_ => new StepCompute(config.PatchSize, config.PatchSize)).ToList() }, Count);

    /// <summary>FLOPs of a whole plan for <paramref name="count"/> images (what depends on the condition alone counted once per condition and patch size).</summary>
    public static long PlanFlops(IDenoiserGeometry config, ComputePlan plan, int count)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(plan);
        var computed = new HashSet<(int, bool)>();
        return plan.Steps.Sum(step => StepFlops(config, plan, step, count, computed));
    }

    // A step's forwards. The part that depends on the condition and patch size alone (PixArt's caption keys and values) is
    // computed by the first forward of each (branch, patch size) and kept in the condition for the others.
    private static long StepFlops(IDenoiserGeometry config, ComputePlan plan, StepCompute step, int count, HashSet<(int, bool)> computed) =>
        plan.Forwards(step).Sum(f => config.Flops(f.Patch, count) - (computed.Add(f) ? 0 : config.ConditionFlops(f.Patch, count)));

    /// <inheritdoc />
    public void Dispose()
    {
        x.Dispose();
        dpmSolver?.Dispose();
        condition.Dispose();
        guidanceCondition?.Dispose();
    }
}
