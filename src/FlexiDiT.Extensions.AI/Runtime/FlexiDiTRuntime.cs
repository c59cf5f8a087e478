using FlexiDiT.Extensions.AI.Internal;
using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlexiDiT.Extensions.AI;

/// <summary>
/// The shared state behind <see cref="FlexiDiTImageGenerator"/>: the policies, the budget ledger, and one
/// <see cref="FlexiDiTModel"/> per configured pack. One per process (DI registers it as a singleton), so every generator,
/// plugin and endpoint sees the same budgets, estimates and engines.
/// </summary>
/// <remarks>
/// Constructing it touches no file: the policies, the ledger and each pack load on first use, and a load that fails
/// (a pack still being trained, say) is tried again on the next use.
/// </remarks>
public sealed class FlexiDiTRuntime : IDisposable
{
    private readonly RetryingLazy<PolicySet> policies;
    private readonly RetryingLazy<BudgetLedger> ledger;
    private readonly IReadOnlyList<FlexiDiTModel> models;
    private ExpiredHoldSweeper? sweeper;
    private IBudgetStore? store;
    private int disposed;

    /// <summary>Initializes a new instance of the <see cref="FlexiDiTRuntime"/> class.</summary>
    /// <param name="options">The options, or <see langword="null"/> for the defaults (shipped pack and policies, per-user ledger).</param>
    /// <param name="loggerFactory">Where decisions, budget alerts and engine events are logged.</param>
    public FlexiDiTRuntime(FlexiDiTOptions? options = null, ILoggerFactory? loggerFactory = null)
    {
        Options = options ?? new FlexiDiTOptions();
        Options.Validate();
        LoggerFactory = loggerFactory ?? NullLoggerFactory.Instance;
        LedgerPath = Path.GetFullPath(Options.LedgerPath ?? LedgerPaths.DefaultDatabasePath());
        PoliciesPath = Options.PoliciesPath is { } configured ? Path.GetFullPath(configured) : null;
        OutputFolder = Path.GetFullPath(Options.OutputFolder ?? FlexiDiTPaths.ImagesFolder(LedgerPath));
        policies = new(() => FlexiDiTPolicies.Load(PoliciesPath));
        ledger = new(OpenLedger);
        models =
        [
            new FlexiDiTModel(this, Options.Model, Options.LatencyModelPath),
            .. Options.AdditionalModels.Select(m => new FlexiDiTModel(this, m, latencyModelPath: null)),
        ];
    }

    /// <summary>Gets the options.</summary>
    public FlexiDiTOptions Options { get; }

    /// <summary>Gets the full path of the ledger database.</summary>
    public string LedgerPath { get; }

    /// <summary>
    /// Gets the configured policies folder, or <see langword="null"/> when one is looked for on first use (see
    /// <see cref="FlexiDiTPolicies.Load"/>: a <c>policies</c> folder near the program, else the built-in defaults).
    /// </summary>
    public string? PoliciesPath { get; }

    /// <summary>Gets the folder <see cref="Microsoft.Extensions.AI.ImageGenerationResponseFormat.Uri"/> responses are written to.</summary>
    public string OutputFolder { get; }

    /// <summary>Gets the policies in force (loaded on first use).</summary>
    public PolicySet Policies => policies.Value;

    /// <summary>Gets the budget ledger (opened on first use; opening reclaims holds of processes that died).</summary>
    public BudgetLedger Ledger => ledger.Value;

    /// <summary>
    /// Gets the longest deadline a request may set (<see cref="FlexiDiTGenerationOptions.WithDeadline"/>): a deadline
    /// becomes a budget hold of the deadline plus <see cref="FlexiDiTOptions.ReservationMargin"/>, and the ledger holds
    /// budget for at most <see cref="BudgetLedgerOptions.MaxReservationTtl"/>.
    /// </summary>
    public TimeSpan MaxDeadline => new BudgetLedgerOptions().MaxReservationTtl - Options.ReservationMargin;

    /// <summary>Gets the default pack's model.</summary>
    public FlexiDiTModel DefaultModel => models[0];

    /// <summary>Gets every configured pack's model, the default first.</summary>
    public IReadOnlyList<FlexiDiTModel> Models => models;

    internal ILoggerFactory LoggerFactory { get; }

    /// <summary>
    /// Gets the default model's id for <see cref="Microsoft.Extensions.AI.ImageGeneratorMetadata"/>: the pack's name, or
    /// how it was configured when its manifest cannot be read yet (metadata must not fail).
    /// </summary>
    public string DefaultModelId
    {
        get
        {
            try
            {
                return DefaultModel.Name;
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                return Options.Model ?? Environment.GetEnvironmentVariable(Packs.ModelPack.DefaultPackVariable) ?? Packs.ModelPack.DefaultPackName;
            }
        }
    }

    /// <summary>Finds the model a request selects.</summary>
    /// <param name="modelId">A pack name (case-insensitive) or how the pack was configured; <see langword="null"/> or empty for the default.</param>
    /// <returns>The model.</returns>
    /// <exception cref="ArgumentException">No configured pack has that name; the message lists those that do.</exception>
    public FlexiDiTModel GetModel(string? modelId)
    {
        if (string.IsNullOrWhiteSpace(modelId))
        {
            return DefaultModel;
        }

        // How a pack was configured matches without reading anything; names need the manifests, and a pack that cannot
        // load (still being trained, say) must not stop the others from being selected.
        var match = models.FirstOrDefault(m => string.Equals(m.PackSpec, modelId, StringComparison.OrdinalIgnoreCase))
            ?? models.FirstOrDefault(m => string.Equals(TryName(m), modelId, StringComparison.OrdinalIgnoreCase));
        if (match is not null)
        {
            return match;
        }

        var known = models.Select(TryName).ToList();
        throw new ArgumentException(
            $"Unknown model '{modelId}'. This generator serves: {string.Join(", ", known)}. " +
            "Add packs with FlexiDiTOptions.AdditionalModels; 'flexidit models' lists the packs on this machine.",
            nameof(modelId));
    }

    /// <summary>
    /// Stops the hold sweep, the engines (queued generations are cancelled) and the resilience pipelines, then closes the
    /// ledger's connections.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0)
        {
            return;
        }

        sweeper?.Dispose();
        foreach (var model in models)
        {
            model.DisposeEngine();
            model.DisposePipeline();
        }

        (store as IDisposable)?.Dispose();
    }

    private static string TryName(FlexiDiTModel model)
    {
        try
        {
            return model.Name;
        }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
        {
            return $"{model.PackSpec ?? Packs.ModelPack.DefaultPackName} (not loadable: {e.Message})";
        }
    }

    private BudgetLedger OpenLedger()
    {
        var created = BudgetStoreFactory.Create(string.IsNullOrWhiteSpace(Options.LedgerConnectionString) ? LedgerPath : Options.LedgerConnectionString);
        BudgetLedger ledger;
        try
        {
            // Opening runs once, on first use; SQLite completes synchronously and PostgreSQL's pool has its own I/O threads.
            ledger = BudgetLedger.OpenAsync(created, Policies, timeProvider: Options.TimeProvider, logger: LoggerFactory.CreateLogger<BudgetLedger>())
                .GetAwaiter().GetResult();
        }
        catch
        {
            // The next use tries again with a new store; this one must not keep its connections.
            (created as IDisposable)?.Dispose();
            throw;
        }

        store = created;
        if (Options.HoldSweepInterval > TimeSpan.Zero)
        {
            sweeper = new ExpiredHoldSweeper(ledger, Options.HoldSweepInterval, Options.TimeProvider, LoggerFactory.CreateLogger<ExpiredHoldSweeper>());
        }

        return ledger;
    }
}
