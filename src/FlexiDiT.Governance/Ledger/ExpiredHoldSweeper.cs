using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace FlexiDiT.Governance.Ledger;

/// <summary>
/// Returns the holds of dead processes to the budget while a process runs: every interval it reclaims reservations past
/// their time-to-live. Opening a ledger does this once; a process that runs for weeks needs it periodically, since a
/// replica that died will not come back to release what it held. Every process may sweep: the stores make concurrent
/// sweeps safe, and a sweep still running when the next tick comes is not started twice.
/// </summary>
public sealed partial class ExpiredHoldSweeper : IAsyncDisposable, IDisposable
{
    private readonly BudgetLedger ledger;
    private readonly ILogger logger;
    private readonly CancellationTokenSource stopping = new();
    private readonly ITimer timer;
    private Task current = Task.CompletedTask;
    private int running;

    /// <summary>Starts sweeping <paramref name="ledger"/> every <paramref name="interval"/>.</summary>
    /// <param name="ledger">The ledger whose expired holds are reclaimed.</param>
    /// <param name="interval">Time between sweeps.</param>
    /// <param name="timeProvider">The clock of the ticks; <see cref="TimeProvider.System"/> if omitted.</param>
    /// <param name="logger">Where reclaimed holds and failed sweeps are logged.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="interval"/> is not positive.</exception>
    public ExpiredHoldSweeper(BudgetLedger ledger, TimeSpan interval, TimeProvider? timeProvider = null, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        this.ledger = ledger;
        this.logger = logger ?? NullLogger.Instance;
        timer = (timeProvider ?? TimeProvider.System).CreateTimer(_ => Tick(), null, interval, interval);
    }

    /// <summary>Raised after each sweep with the number of holds it reclaimed.</summary>
    public event EventHandler<int>? Swept;

    /// <summary>Stops the ticks and waits for a sweep in progress to end.</summary>
    public async ValueTask DisposeAsync()
    {
        await timer.DisposeAsync().ConfigureAwait(false);
        await stopping.CancelAsync().ConfigureAwait(false);
        try
        {
            await current.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Stopping mid-sweep is what was asked for.
        }

        stopping.Dispose();
    }

    /// <summary>Stops the ticks and waits for a sweep in progress to end.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private void Tick()
    {
        if (stopping.IsCancellationRequested || Interlocked.CompareExchange(ref running, 1, 0) != 0)
        {
            return;
        }

        current = SweepAsync();
    }

    private async Task SweepAsync()
    {
        try
        {
            int reclaimed = await ledger.ReclaimExpiredAsync(stopping.Token).ConfigureAwait(false);
            if (reclaimed > 0)
            {
                LogReclaimed(logger, reclaimed);
            }

            Swept?.Invoke(this, reclaimed);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // The database may be briefly unreachable; the next tick tries again.
            LogFailed(logger, e);
        }
        finally
        {
            Volatile.Write(ref running, 0);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Reclaimed {Count} expired budget holds")]
    private static partial void LogReclaimed(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not sweep expired budget holds; retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
