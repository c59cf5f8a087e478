using Microsoft.Extensions.Logging;

namespace FlexiDiT.Governance;

/// <summary>Log messages of <see cref="ComputeGovernor{TResult}"/> (kept out of the generic type for the source generator).</summary>
internal static partial class GovernorLog
{
    [LoggerMessage(Level = LogLevel.Information, Message = "The budget of {TenantId} was spent between deciding and reserving ({Denial}); deciding again")]
    public static partial void DecidingAgain(ILogger logger, string tenantId, string denial);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Charging {Charge} for {PlanName} capped at the {Reserved} credits reserved")]
    public static partial void ChargeCapped(ILogger logger, decimal charge, string planName, decimal reserved);
}
