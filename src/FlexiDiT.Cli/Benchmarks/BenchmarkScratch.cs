using FlexiDiT.Extensions.AI;
using FlexiDiT.Packs;

namespace FlexiDiT.Cli.Benchmarks;

/// <summary>
/// Where an end-to-end benchmark's generator keeps its state: a throw-away ledger and output folder in a temporary
/// folder (deleted on dispose), so a benchmark never spends the user's budget. The latency model is the user's, so an
/// existing calibration is reused (and a missing one is made once, outside the timed runs). Nobody waits on a
/// benchmark: requests run as the overnight task, whose 8-hour SLA lets no request fall back mid-run.
/// </summary>
internal sealed class BenchmarkScratch : IDisposable
{
    private readonly DirectoryInfo folder = Directory.CreateTempSubdirectory("flexidit-bench");

    /// <summary>Generator options for <paramref name="pack"/> that write only into the scratch folder.</summary>
    public FlexiDiTOptions OptionsFor(ModelPack pack) => new()
    {
        Model = pack.ManifestPath,
        LedgerPath = Path.Combine(folder.FullName, "ledger.db"),
        LatencyModelPath = FlexiDiTPaths.LatencyModelPath(pack.Name),
        OutputFolder = Path.Combine(folder.FullName, "images"),
        DefaultTaskType = "batch-overnight",
        DefaultTenant = "local",
    };

    public void Dispose() => folder.Delete(recursive: true);
}
