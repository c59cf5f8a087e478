using FlexiDiT.Governance.Ledger;
using Microsoft.Extensions.Options;

namespace FlexiDiT.Server;

/// <summary>
/// Returns the holds of dead processes to the budget while the server runs: every
/// <see cref="ServerOptions.ReclaimInterval"/> it reclaims reservations past their time-to-live. Opening a ledger
/// does this once; a replica that runs for weeks needs it periodically, since the replica that died will not restart.
/// Every replica sweeps; the store makes concurrent sweeps safe.
/// </summary>
internal sealed partial class ExpiredHoldSweeper(BudgetLedger ledger, IOptions<ServerOptions> options, ILogger<ExpiredHoldSweeper> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.ReclaimInterval);
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false))
        {
            try
            {
                var reclaimed = await ledger.ReclaimExpiredAsync(stoppingToken).ConfigureAwait(false);
                if (reclaimed > 0)
                {
                    LogReclaimed(logger, reclaimed);
                }
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // The database may be briefly unreachable; the next tick tries again.
                LogFailed(logger, e);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reclaimed {Count} expired budget holds")]
    private static partial void LogReclaimed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not sweep expired budget holds; retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
