namespace FlexiDiT.Server;

/// <summary>Deletes the images of <c>response_format: url</c> answers once their links have expired, so the folder does not grow forever.</summary>
internal sealed partial class ExpiredImageCleaner(ImageStore store, ILogger<ExpiredImageCleaner> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval);
        do
        {
            try
            {
                if (store.DeleteExpired() is > 0 and var deleted)
                {
                    LogDeleted(logger, deleted);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                LogFailed(logger, e);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken).ConfigureAwait(false));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} images whose links expired")]
    private static partial void LogDeleted(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not clean the image folder; retrying at the next interval")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
