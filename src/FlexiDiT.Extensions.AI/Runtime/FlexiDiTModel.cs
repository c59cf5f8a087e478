using FlexiDiT.Engine;
using FlexiDiT.Extensions.AI.Internal;
using FlexiDiT.Governance;
using FlexiDiT.Governance.Knowledge;
using FlexiDiT.Governance.Policies;
using FlexiDiT.Governance.Resilience;
using FlexiDiT.Models;
using FlexiDiT.Packs;
using FlexiDiT.Sampling;
using Microsoft.Extensions.Logging;
using TorchSharp;

namespace FlexiDiT.Extensions.AI;

/// <summary>
/// One model pack as the generator serves it: its plans and latency as the governance sees them, its policy engine and
/// resilience pipeline, and its generation engine. Everything loads on first use; a failed load is retried next time.
/// </summary>
/// <remarks>
/// <para>Cheap to touch: <see cref="Pack"/> reads the manifest; <see cref="PolicyEngine"/> reads the model's config,
/// plan table and latency model (calibrating once if there is none); only the engine loads the weights.</para>
/// <para>Thread-safe. Obtain instances from <see cref="FlexiDiTRuntime"/>.</para>
/// </remarks>
public sealed partial class FlexiDiTModel
{
    private readonly FlexiDiTRuntime runtime;
    private readonly ILogger logger;
    private readonly RetryingLazy<ModelPack> pack;
    private readonly RetryingLazy<IDenoiserGeometry> config;
    private readonly RetryingLazy<PackPlans> plans;
    private readonly RetryingLazy<LatencyModel> latency;
    private readonly RetryingLazy<ComputePolicyEngine> policy;
    private readonly RetryingLazy<GenerationResiliencePipeline<GenerationResult>> pipeline;
    private readonly RetryingLazy<GenerationEngine> engine;
    private readonly RetryingLazy<ComputeGovernor<GenerationResult>> governor;

    internal FlexiDiTModel(FlexiDiTRuntime runtime, string? packSpec, string? latencyModelPath)
    {
        this.runtime = runtime;
        logger = runtime.LoggerFactory.CreateLogger<FlexiDiTModel>();
        PackSpec = packSpec;
        pack = new(() => ModelPack.Find(packSpec));
        config = new(() => PackPlans.ReadConfig(Pack));
        plans = new(() => PackPlans.Load(Pack, Config));
        latency = new(() => LoadOrCalibrate(latencyModelPath ?? FlexiDiTPaths.LatencyModelPath(Pack.Name, runtime.LedgerPath)));
        policy = new(() => new ComputePolicyEngine(runtime.Policies, PlanTable, Latency, runtime.LoggerFactory.CreateLogger<ComputePolicyEngine>()));
        pipeline = new(() => new GenerationResiliencePipeline<GenerationResult>(
            runtime.Options.Resilience, PolicyEngine, runtime.Options.TimeProvider, runtime.LoggerFactory.CreateLogger<GenerationResiliencePipeline<GenerationResult>>()));
        engine = new(LoadEngine);
        governor = new(() => new ComputeGovernor<GenerationResult>(
            PolicyEngine,
            runtime.Ledger,
            Pipeline,
            new ComputeGovernorOptions { ReservationMargin = runtime.Options.ReservationMargin, BudgetRaceRetries = runtime.Options.BudgetRaceRetries },
            runtime.LoggerFactory.CreateLogger<ComputeGovernor<GenerationResult>>()));
    }

    /// <summary>Gets how the pack was named in the options (<see langword="null"/>: the default pack).</summary>
    public string? PackSpec { get; }

    /// <summary>Gets the model pack (reads its manifest on first use).</summary>
    public ModelPack Pack => pack.Value;

    /// <summary>Gets the pack's name, the <see cref="Microsoft.Extensions.AI.ImageGenerationOptions.ModelId"/> that selects it.</summary>
    public string Name => Pack.Name;

    /// <summary>
    /// Gets the model's architecture (from the config file or checkpoint metadata; the weights only when neither has it):
    /// a <see cref="DiTConfig"/> for a class pack, a <see cref="PixArtConfig"/> for a text-to-image pack.
    /// </summary>
    public IDenoiserGeometry Config => config.Value;

    /// <summary>
    /// Gets the side of the images the pack draws, in pixels, without loading its weights: the denoiser's input size,
    /// times the VAE's upscale factor (read from the VAE's config) for a latent model.
    /// </summary>
    public int ImageSize => LoadedEngine?.ImageSize
        ?? Config.InputSize * (Pack.Manifest.Vae is { } vae ? Vae.VaeConfig.Load(Pack.Resolve(vae.Config)).UpscaleFactor : 1);

    /// <summary>Gets the plans the policy chooses from: the pack's measured plan table, or one computed from its plans (FLOPs, no quality).</summary>
    public PlanTable PlanTable => plans.Value.Table;

    /// <summary>
    /// Gets the latency model: the file (see <see cref="FlexiDiTOptions.LatencyModelPath"/>) if it exists, otherwise a
    /// quick calibration on this machine (<see cref="FlexiDiTCalibration.Quick"/>), saved to that file. The engine's
    /// forward timings keep refining it while the process runs.
    /// </summary>
    public LatencyModel Latency => latency.Value;

    /// <summary>Gets the policy engine over this pack's plans: decisions and the cost table (<see cref="ComputePolicyEngine.Estimate"/>).</summary>
    public ComputePolicyEngine PolicyEngine => policy.Value;

    /// <summary>Gets the resilience pipeline in front of this pack's engine (its circuit state tells whether the engine is healthy).</summary>
    public GenerationResiliencePipeline<GenerationResult> Pipeline => pipeline.Value;

    /// <summary>Gets the generation engine if a request has loaded it, else <see langword="null"/> (nothing is loaded).</summary>
    public GenerationEngine? LoadedEngine => engine.ValueIfCreated;

    /// <summary>Gets the generation engine, loading the weights on first use (on the thread pool).</summary>
    /// <param name="cancellationToken">Cancels waiting for the load.</param>
    /// <returns>The engine.</returns>
    public ValueTask<GenerationEngine> GetEngineAsync(CancellationToken cancellationToken = default) => engine.GetAsync(cancellationToken);

    /// <summary>Gets the parameters of a plan of this pack's table.</summary>
    /// <param name="planName">The plan's name.</param>
    /// <returns>The plan's spec.</returns>
    public PlanSpec PlanSpec(string planName)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(planName);
        return plans.Value.Spec(planName);
    }

    /// <summary>
    /// Runs one request through the <see cref="ComputeGovernor{TResult}"/>: read the budget → decide → re-price for the
    /// request's overrides and load the weights → reserve → generate under the resilience pipeline → commit the price
    /// of the FLOPs actually spent, or release on any failure or cancellation.
    /// </summary>
    internal async Task<GovernedResult<GenerationResult>> RunGovernedAsync(GovernedRequest request, CancellationToken cancellationToken)
    {
        var governor = await this.governor.GetAsync(cancellationToken).ConfigureAwait(false);
        var count = request.Policy.Count;
        var work = new GovernedWork<GenerationResult>((attempt, token) => RunAttemptAsync(attempt, request, token))
        {
            PrepareAsync = async (approval, token) =>
            {
                var priced = WithOverrides(approval, request);

                // Weights load only for a request the policy approved, and before the hold, whose time-to-live is the SLA's.
                await GetEngineAsync(token).ConfigureAwait(false);
                return priced;
            },

            // The engine measured what it spent; the plan table only estimated it.
            Charge = outcome => runtime.Policies.Pricing.PriceOf(outcome.Value.FlopsSpent / (double)count, count),
            Discard = result => result.Samples.Dispose(),
        };
        return await governor.RunAsync(request.Policy, work, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<GenerationResult> RunAttemptAsync(GenerationAttempt attempt, GovernedRequest request, CancellationToken cancellationToken)
    {
        // Loaded before the hold (see RunGovernedAsync), so this only reads it.
        var engine = await GetEngineAsync(cancellationToken).ConfigureAwait(false);

        // A fallback runs the cheaper plan exactly as the policy priced and predicted it to fit the time left; the
        // request's step and guidance overrides would undo the very saving it exists for.
        var spec = attempt.IsFallback
            ? PlanSpec(attempt.Plan.Name)
            : PlanOverrides.Apply(PlanSpec(attempt.Plan.Name), request.Steps, request.Guidance);
        try
        {
            var job = request.Prompt is { } prompt
                ? GenerationJob.ForPrompt(prompt, request.Policy.Count, spec, request.Seed)
                : new GenerationJob(request.Labels, spec, request.Seed);
            return await engine.GenerateAsync(job, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is not (OperationCanceledException or ArgumentException or EngineFaultException))
        {
            // The engine fails every job of a batch together, so anything it throws is the engine's fault and counts
            // towards the circuit breaker; bad input was refused before the job was queued.
            throw new EngineFaultException($"the FlexiDiT engine of {Name} failed: {e.Message}", e);
        }
    }

    /// <summary>The approval re-priced for a request's step and guidance overrides (the policy priced the plan as tabled).</summary>
    private PolicyApproval WithOverrides(PolicyApproval approval, GovernedRequest request)
    {
        if (!PlanOverrides.Any(request.Steps, request.Guidance))
        {
            return approval;
        }

        var spec = PlanOverrides.Apply(PlanSpec(approval.PlanName), request.Steps, request.Guidance);
        var plan = spec.Build(Config);
        double flops = SamplingRun.PlanFlops(Config, plan, 1);
        var entry = approval.Plan with
        {
            Description = spec.Describe(),
            Steps = plan.Steps.Count,
            WeakSteps = plan.WeakConditionalSteps(Config.PatchSize),
            Forwards = plan.ForwardsByPatch(),
            FlopsPerImage = flops,
            FlopsFraction = flops / PlanTable.FullCompute.FlopsPerImage,

            // The plan table measured the plan as tabled; its quality says nothing about the overridden one.
            FrechetDistance = null,
            ClassAccuracy = null,
            ColorAccuracy = null,
            MsPerImage = null,
        };
        var cost = runtime.Policies.Pricing.PriceOf(flops, approval.Count);
        return approval with
        {
            Plan = entry,
            PredictedFlops = flops * approval.Count,
            Cost = cost,
            PredictedLatencyMs = PolicyEngine.PredictLatencyMs(entry, approval.Count),
            Reason = $"{approval.Reason}; overridden by the request to {spec.Describe()} ({cost.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture)} credits)",
        };
    }

    private LatencyModel LoadOrCalibrate(string path)
    {
        if (File.Exists(path))
        {
            return LatencyModel.Load(path);
        }

        LogCalibrating(logger, Pack.Name, path);
        var model = FlexiDiTCalibration.Quick(Config, Device(), runtime.Options.TimeProvider);
        try
        {
            model.Save(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // Calibration still serves this process; the next one calibrates again.
            LogCalibrationNotSaved(logger, path, e);
        }

        return model;
    }

    private GenerationEngine LoadEngine()
    {
        // The latency model first: if it cannot be had, no engine (and no worker thread) is left behind.
        var latency = Latency;
        var engine = new GenerationEngine(Pack, Device(), runtime.Options.MaxBatchImages, runtime.Options.Precision);
        engine.ForwardCompleted += observation =>
        {
            // Runs on the engine's worker between steps: it must never throw, or every job in the batch fails.
            try
            {
                if (observation.Milliseconds > 0)
                {
                    latency.Observe(observation.PatchSize, observation.Batch, observation.Milliseconds);
                }
            }
            catch (ArgumentException e)
            {
                LogObservationRejected(logger, observation.PatchSize, observation.Batch, e);
            }
        };
        var (depth, hidden) = engine.Geometry switch
        {
            DiTConfig d => (d.Depth, d.HiddenSize),
            PixArtConfig p => (p.Depth, p.HiddenSize),
            _ => (0, 0),
        };
        LogEngineLoaded(logger, Pack.Name, depth, hidden, string.Join("/", engine.Geometry.AllPatchSizes));
        return engine;
    }

    private torch.Device Device() => EngineDevice.Parse(runtime.Options.Device);

    internal void DisposeEngine() => engine.ValueIfCreated?.Dispose();

    internal void DisposePipeline() => pipeline.ValueIfCreated?.Dispose();

    [LoggerMessage(Level = LogLevel.Information, Message = "No latency model for {Pack}; calibrating on this machine, then saving to {Path}")]
    private static partial void LogCalibrating(ILogger logger, string pack, string path);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not save the latency model to {Path}")]
    private static partial void LogCalibrationNotSaved(ILogger logger, string path, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Latency observation rejected (patch {PatchSize}, batch {Batch})")]
    private static partial void LogObservationRejected(ILogger logger, int patchSize, int batch, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Loaded {Pack}: depth {Depth}, width {Hidden}, patch sizes {Patches}")]
    private static partial void LogEngineLoaded(ILogger logger, string pack, int depth, int hidden, string patches);
}
