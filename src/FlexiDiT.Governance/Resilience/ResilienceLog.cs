using Microsoft.Extensions.Logging;

namespace FlexiDiT.Governance.Resilience;

/// <summary>Log messages of the resilience pipeline (kept out of the generic type for the source generator).</summary>
internal static partial class ResilienceLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "Engine busy: rejected a {TaskType} generation for {TenantId}, the queue is full")]
    public static partial void Busy(ILogger logger, string taskType, string tenantId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{PlanName} for {TenantId} ran out of its {Budget} ms time budget")]
    public static partial void AttemptTimedOut(ILogger logger, string planName, string tenantId, double budget);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Falling back: {Reason}")]
    public static partial void FallingBack(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Engine circuit opened for {BreakDuration} after repeated faults")]
    public static partial void CircuitOpened(ILogger logger, Exception? fault, TimeSpan breakDuration);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine circuit half-open: letting one trial generation through")]
    public static partial void CircuitHalfOpened(ILogger logger);

    [LoggerMessage(Level = LogLevel.Information, Message = "Engine circuit closed: the engine is healthy again")]
    public static partial void CircuitClosed(ILogger logger);
}
