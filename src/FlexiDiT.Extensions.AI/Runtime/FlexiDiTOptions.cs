using FlexiDiT.Governance.Resilience;

namespace FlexiDiT.Extensions.AI;

/// <summary>
/// Settings of a <see cref="FlexiDiTRuntime"/> and so of <see cref="FlexiDiTImageGenerator"/>: which model packs it
/// serves, where the policies, ledger and latency model live, and how requests are governed by default.
/// </summary>
/// <remarks>Every setting has a default that works on a developer machine with the shipped pack and policies.</remarks>
public sealed class FlexiDiTOptions
{
    /// <summary>
    /// Gets or sets the default model pack: a pack name, folder or <c>pack.json</c> path. <see langword="null"/> means
    /// <c>ModelPack.Find(null)</c>: <c>$FLEXIDIT_MODEL</c> or the shipped <c>shapes-flexidit</c>.
    /// </summary>
    public string? Model { get; set; }

    /// <summary>
    /// Gets further packs (names, folders or manifests) that requests may select with
    /// <see cref="Microsoft.Extensions.AI.ImageGenerationOptions.ModelId"/>. Only configured packs can be selected, so a
    /// request cannot make the process load an arbitrary file.
    /// </summary>
    public IList<string> AdditionalModels { get; } = [];

    /// <summary>
    /// Gets or sets the folder of policy files (<c>*.yaml</c>). <see langword="null"/> means the <c>policies</c> folder
    /// next to the program, else the first <c>policies</c> folder found walking up from the current directory, else the
    /// built-in defaults (the shipped policies, embedded). See <see cref="FlexiDiTPolicies.Load"/>.
    /// </summary>
    public string? PoliciesPath { get; set; }

    /// <summary>
    /// Gets or sets the SQLite budget ledger file. <see langword="null"/> means
    /// <see cref="Governance.Ledger.LedgerPaths.DefaultDatabasePath()"/> (the user's data folder).
    /// </summary>
    public string? LedgerPath { get; set; }

    /// <summary>
    /// Gets or sets where the budget ledger lives when several processes must share it: an Npgsql connection string
    /// (e.g. <c>Host=db;Database=flexidit;Username=flexidit;Password=...</c>) puts it in PostgreSQL, so replicas behind
    /// a load balancer spend one budget. A plain path is a SQLite file, as <see cref="LedgerPath"/>. <see langword="null"/>
    /// means <see cref="LedgerPath"/>. Configuration key <c>FlexiDiT:LedgerConnectionString</c> (environment
    /// <c>FlexiDiT__LedgerConnectionString</c>). See <see cref="Governance.Ledger.BudgetStoreFactory"/>.
    /// </summary>
    public string? LedgerConnectionString { get; set; }

    /// <summary>
    /// Gets or sets the latency model (JSON written by <c>flexidit calibrate</c>) of the default pack.
    /// <see langword="null"/> means <c>latency-&lt;pack&gt;.json</c> next to the ledger
    /// (<see cref="FlexiDiTPaths.LatencyModelPath"/>); other packs always use that default.
    /// </summary>
    /// <remarks>
    /// When the file does not exist, the first use of the pack's policy engine calibrates quickly on this machine
    /// (<see cref="FlexiDiTCalibration.Quick"/>, a few seconds for the shipped model) and writes the file, so later
    /// processes load it. Real runs then refine it in memory through the engine's forward timings.
    /// </remarks>
    public string? LatencyModelPath { get; set; }

    /// <summary>
    /// Gets or sets the folder <see cref="Microsoft.Extensions.AI.ImageGenerationResponseFormat.Uri"/> responses write
    /// their files to. <see langword="null"/> means an <c>images</c> folder next to the ledger.
    /// </summary>
    public string? OutputFolder { get; set; }

    /// <summary>Gets or sets the task type of requests that name none (see <see cref="FlexiDiTGenerationOptions.WithTaskType"/>).</summary>
    public string DefaultTaskType { get; set; } = "draft";

    /// <summary>Gets or sets the tenant that pays for requests that name none (see <see cref="FlexiDiTGenerationOptions.WithTenant"/>).</summary>
    public string DefaultTenant { get; set; } = "local";

    /// <summary>Gets or sets the user charged for requests that name none, or <see langword="null"/> to charge the tenant only.</summary>
    public string? DefaultUser { get; set; }

    /// <summary>Gets or sets the TorchSharp device (<c>cpu</c>, <c>cuda</c>, <c>cuda:1</c>); <see langword="null"/> means the CPU.</summary>
    public string? Device { get; set; }

    /// <summary>Gets or sets the most images (conditional and guidance forwards count separately) one batched forward may hold.</summary>
    public int MaxBatchImages { get; set; } = 64;

    /// <summary>
    /// Gets or sets the model's inference precision: float32 (default), bfloat16 (refused at load on a CPU that would
    /// emulate it), or auto (bfloat16 only where the CPU has it natively). bfloat16 outputs differ from float32 within
    /// the bfloat16 tolerance that <c>flexidit reference-check</c> verifies (<c>ReferenceCheck.BFloat16ForwardTolerance</c>).
    /// </summary>
    public FlexiDiT.Models.InferencePrecision Precision { get; set; } = FlexiDiT.Models.InferencePrecision.Float32;

    /// <summary>
    /// Gets or sets the resilience settings: concurrency limiter with bounded queue, SLA fallback, circuit breaker.
    /// </summary>
    /// <remarks>
    /// Unlike the governance default of one generation at a time, eight run at once here: the engine batches
    /// concurrent requests into the same forwards (continuous batching), so letting them in together is what makes
    /// it faster, not slower.
    /// </remarks>
    public GenerationResilienceOptions Resilience { get; set; } = new() { MaxConcurrentGenerations = 8, MaxQueuedGenerations = 32 };

    /// <summary>
    /// Gets or sets how long a budget reservation outlives the request's SLA (covers a slow cancellation and the commit).
    /// </summary>
    public TimeSpan ReservationMargin { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// Gets or sets how many times to decide again when another request spent the budget between reading it and
    /// reserving.
    /// </summary>
    public int BudgetRaceRetries { get; set; } = 2;

    /// <summary>
    /// Gets or sets how often this process reclaims expired budget holds (those of a process that died mid-generation),
    /// so their credits return while the process runs, not only when a ledger is next opened;
    /// <see cref="TimeSpan.Zero"/> turns the sweep off. Every replica sharing a ledger sweeps.
    /// </summary>
    public TimeSpan HoldSweepInterval { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>Gets or sets the clock of the ledger's periods, the hold sweep and the resilience timeouts.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(DefaultTaskType, nameof(DefaultTaskType));
        ArgumentException.ThrowIfNullOrWhiteSpace(DefaultTenant, nameof(DefaultTenant));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchImages, 1, nameof(MaxBatchImages));
        ArgumentNullException.ThrowIfNull(Resilience, nameof(Resilience));
        if (ReservationMargin <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ReservationMargin), ReservationMargin, "must be positive");
        }

        ArgumentOutOfRangeException.ThrowIfNegative(BudgetRaceRetries, nameof(BudgetRaceRetries));
        if (HoldSweepInterval < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(HoldSweepInterval), HoldSweepInterval, "must be zero (no sweep) or positive");
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        foreach (var model in AdditionalModels)
        {
            ArgumentException.ThrowIfNullOrWhiteSpace(model, nameof(AdditionalModels));
        }
    }
}
