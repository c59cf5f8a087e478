using FlexiDiT.Governance.Ledger;
using FlexiDiT.Governance.Policies;

namespace FlexiDiT.SemanticKernel.Tests.Support;

/// <summary>A ledger on a temporary SQLite file, the test knowledge, a charging generator and the tools over them.</summary>
internal sealed class AgentHarness : IDisposable
{
    private readonly TempFolder folder;
    private readonly SqliteBudgetStore store;

    private AgentHarness(TempFolder folder, SqliteBudgetStore store, BudgetLedger ledger, ComputePolicyEngine policy)
    {
        this.folder = folder;
        this.store = store;
        Ledger = ledger;
        Policy = policy;
        Generator = new ChargingImageGenerator(policy, ledger);
    }

    public BudgetLedger Ledger { get; }

    public ComputePolicyEngine Policy { get; }

    public ChargingImageGenerator Generator { get; }

    public ListLogger Logger { get; } = new();

    public string ImagesFolder => folder.File("images");

    public static async Task<AgentHarness> CreateAsync()
    {
        var folder = new TempFolder();
        var policy = AgentKnowledge.Engine();
        var store = new SqliteBudgetStore(new SqliteBudgetStoreOptions { DatabasePath = folder.File("ledger.db") });
        return new AgentHarness(folder, store, await BudgetLedger.OpenAsync(store, policy.Policies), policy);
    }

    public FlexiDiTImageTools Tools(string tenant = "agency", string? user = null, ImageRunLimits? limits = null) => new(
        Generator,
        Policy,
        Ledger,
        new FlexiDiTToolOptions { TenantId = tenant, UserId = user, OutputDirectory = ImagesFolder, DefaultRunLimits = limits ?? new ImageRunLimits() },
        Logger.For<FlexiDiTImageTools>());

    public async Task<decimal> SpentAsync(string tenant = "agency", string? user = null)
    {
        var status = await Ledger.GetStatusAsync(tenant, user);
        return status.User?.Spent ?? status.Tenant.Spent;
    }

    public void Dispose()
    {
        store.Dispose();
        folder.Dispose();
    }
}
